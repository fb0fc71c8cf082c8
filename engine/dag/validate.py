"""Check a recipe document and normalize it, reporting every problem per node.

``validate(document)`` returns the normalized recipe (defaults applied, nodes
sorted by id, outputs as a mapping) or raises RecipeInvalid with one entry per
problem: unknown node types, effects or parameters, values out of range,
missing or extra inputs, inputs of the wrong kind, cycles, unreachable nodes
and size limits. Graph walks are iterative, so deep graphs are safe.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from engine import effects
from engine.canonical import is_content_hash
from engine.errors import InvalidParams

from . import nodes
from .document import MAX_NODES, RecipeInvalid, parse

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PARAM_TYPES = ("int", "float", "bool", "choice")
TOP_KEYS = {"name", "version", "description", "owner", "params", "dag"}
NODE_KEYS = {"id", "type", "config", "inputs"}
MAX_MAP_DEPTH = 4


class _Problems(list):
    def add(self, node: str | None, message: str) -> None:
        self.append({"node": node, "message": message})


def _param_decl(name: str, decl: Any, problems: _Problems) -> dict | None:
    """A recipe-level parameter: {type, default, minimum, maximum, choices, help}."""
    if not isinstance(decl, dict) or decl.get("type") not in PARAM_TYPES:
        problems.add(None, f"param '{name}' needs a type: one of {', '.join(PARAM_TYPES)}")
        return None
    extra = set(decl) - {"type", "default", "minimum", "maximum", "choices", "help"}
    if extra:
        problems.add(None, f"param '{name}' has unknown field(s) {', '.join(sorted(extra))}")
    bounds = [decl.get("minimum"), decl.get("maximum")]
    if any(b is not None and (isinstance(b, bool) or not isinstance(b, (int, float)))
           for b in bounds):
        problems.add(None, f"param '{name}': minimum and maximum must be numbers")
        return None
    choices = decl.get("choices") or []
    if not isinstance(choices, list) or not all(
            isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in choices):
        problems.add(None, f"param '{name}': choices must be a list of strings or numbers")
        return None
    if decl["type"] == "choice" and not choices:
        problems.add(None, f"param '{name}': a choice needs its choices")
        return None
    param = effects.Param(name, decl["type"], decl.get("default"), *bounds, tuple(choices),
                          str(decl.get("help", "")))
    holder = nodes.NodeType("recipe", "", params=(param,))
    try:
        default = effects.validate_params(holder, {name: decl.get("default")})[name]
    except InvalidParams as exc:
        problems.add(None, f"param '{name}' default: {exc}")
        return None
    return {"type": param.kind, "default": default, "minimum": param.minimum,
            "maximum": param.maximum, "choices": list(param.choices) or None, "help": param.help}


def check_param_values(declared: dict[str, dict], given: Any) -> dict[str, Any]:
    """Run-time parameter overrides, checked against the recipe's declarations."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise InvalidParams("params must be an object")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidParams(f"unknown recipe param(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(declared)) or '(none)'}")
    holder = nodes.NodeType("recipe", "", params=tuple(
        effects.Param(n, d["type"], d["default"], d["minimum"], d["maximum"],
                      tuple(d["choices"] or ()), d["help"]) for n, d in declared.items()))
    return effects.validate_params(holder, given)


def is_ref(value: Any) -> bool:
    """A {"param": name} reference to a recipe param."""
    return isinstance(value, dict) and set(value) == {"param"}


def _resolve_refs(config: dict, params: dict[str, Any], node: str,
                  problems: _Problems, *, nested: tuple[str, ...] = (), where: str = "") -> dict:
    """Replace {"param": name} values with the parameter's value, also one
    level down in the keys named by ``nested`` (an EFFECT's own params)."""
    out = {}
    for key, value in config.items():
        if key in nested and isinstance(value, dict):
            value = _resolve_refs(value, params, node, problems, where=f"{key}.")
        elif is_ref(value):
            if not isinstance(value["param"], str) or value["param"] not in params:
                problems.add(node, f"config '{where}{key}' refers to unknown param "
                                   f"'{value['param']}'")
                continue
            value = params[value["param"]]
        out[key] = value
    return out


def _check_extra(node_type: nodes.NodeType, extra: dict, node: str, inputs_count: int,
                 problems: _Problems, map_depth: int) -> dict:
    name = node_type.name
    if name == "SOURCE":
        return extra
    if name == "EFFECT":
        try:
            effect = effects.get_effect(extra.get("effect"))
            params = effects.validate_params(effect, extra.get("params"))
        except InvalidParams as exc:
            problems.add(node, str(exc))
            return extra
        if not effect.min_inputs <= inputs_count <= effect.max_inputs:
            problems.add(node, f"effect '{effect.name}' takes {effect.min_inputs} to "
                               f"{effect.max_inputs} input(s), got {inputs_count}")
        return {"effect": effect.name, "params": params}
    if name == "AUDIO_MIX":
        gains = extra.get("gains", [1.0] * inputs_count)
        if (not isinstance(gains, list) or len(gains) != inputs_count or any(
                isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 <= g <= 16
                for g in gains)):
            problems.add(node, f"gains must be a list of {inputs_count} number(s) from 0 to 16, "
                               "one per input")
            return {"gains": [1.0] * inputs_count}
        return {"gains": [float(g) for g in gains]}
    if name == "MAP":
        if map_depth >= MAX_MAP_DEPTH:
            problems.add(node, f"MAP graphs nest deeper than {MAX_MAP_DEPTH}")
            return extra
        graph = extra.get("graph")
        try:
            sub = _validate_dag(graph, {}, map_depth + 1)
        except RecipeInvalid as exc:
            for e in exc.errors:
                problems.add(node, f"in its graph: " + (f"node '{e['node']}': " if e["node"]
                                                        else "") + e["message"])
            return extra
        names = [n["config"].get("name") for n in sub["nodes"] if n["type"] == "SOURCE"
                 and n["config"].get("input")]
        if names != ["item"]:
            problems.add(node, "its graph must have exactly one input: a SOURCE named 'item'")
        if len(sub["output"]) != 1:
            problems.add(node, "its graph must have exactly one output")
        return {"graph": sub}
    return extra


def _check_source(config: dict, node: str, problems: _Problems) -> None:
    bound = [k for k in ("name", "asset", "hash") if config.get(k) not in (None, "")]
    if config.get("input"):
        if bound != ["name"] or not isinstance(config["name"], str) or not NAME.match(
                config["name"]):
            problems.add(node, "an input SOURCE needs a 'name' (letters, digits, . _ -) "
                               "and no asset or hash")
    elif bound == ["asset"]:
        if not isinstance(config["asset"], str) or not NAME.match(config["asset"]):
            problems.add(node, "asset must be an asset name")
    elif bound == ["hash"]:
        if not is_content_hash(config["hash"]):
            problems.add(node, "hash must be 64 lowercase hex characters")
    else:
        problems.add(node, "a SOURCE is either input: true with a name, or an asset, or a hash")


def _inputs(raw: Any, node_type: nodes.NodeType, node: str, ids: set[str],
            problems: _Problems) -> list | dict:
    """Normalize a node's inputs: a list of ids, or {slot: id} for slotted types."""
    if node_type.slots:
        names = [s.name for s in node_type.slots]
        if isinstance(raw, list):  # positional shorthand, in slot order
            if len(raw) > len(names):
                problems.add(node, f"takes at most {len(names)} input(s) "
                                   f"({', '.join(names)}), got {len(raw)}")
            raw = dict(zip(names, raw))
        if not isinstance(raw, dict):
            problems.add(node, f"inputs must name the slots {', '.join(names)}")
            return {}
        for extra in sorted(set(raw) - set(names)):
            problems.add(node, f"unknown input slot '{extra}'; slots: {', '.join(names)}")
        for slot in node_type.slots:
            if slot.required and slot.name not in raw:
                problems.add(node, f"missing input '{slot.name}'")
        refs = {k: v for k, v in raw.items() if k in names}
    else:
        raw = [] if raw is None else raw
        if not isinstance(raw, list):
            problems.add(node, "inputs must be a list of node ids")
            return []
        low, high = node_type.min_inputs, node_type.max_inputs
        if not low <= len(raw) <= high:
            problems.add(node, f"takes {low} to {high} input(s), got {len(raw)}"
                         if low != high else f"takes {low} input(s), got {len(raw)}")
        refs = raw
    for ref in (refs.values() if isinstance(refs, dict) else refs):
        if not isinstance(ref, str) or ref not in ids:
            problems.add(node, f"input {ref!r} is not a node of this graph")
    return refs


def _edges(node: dict) -> list[str]:
    inputs = node["inputs"]
    return [r for r in (inputs.values() if isinstance(inputs, dict) else inputs)
            if isinstance(r, str)]


def _order(by_id: dict[str, dict], problems: _Problems) -> list[str]:
    """Topological order (Kahn, iterative); nodes on cycles are reported."""
    indegree = {n: 0 for n in by_id}
    children: dict[str, list[str]] = {n: [] for n in by_id}
    for n, node in by_id.items():
        for ref in _edges(node):
            if ref in by_id:
                indegree[n] += 1
                children[ref].append(n)
    ready = deque(sorted(n for n, d in indegree.items() if d == 0))
    order = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for child in children[n]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    stuck = set(by_id) - set(order)
    if stuck:
        # Peel off nodes that merely hang below a cycle: what is left is on one.
        outdegree = {n: sum(1 for c in children[n] if c in stuck) for n in stuck}
        leaves = deque(n for n, d in outdegree.items() if d == 0)
        while leaves:
            n = leaves.popleft()
            stuck.discard(n)
            for ref in _edges(by_id[n]):
                if ref in stuck:
                    outdegree[ref] -= 1
                    if outdegree[ref] == 0:
                        leaves.append(ref)
        for n in sorted(stuck):
            problems.add(n, "is on a cycle: a node cannot depend on itself")
    return order


def _kinds(order: list[str], by_id: dict[str, dict], problems: _Problems) -> None:
    kinds: dict[str, str] = {}
    for n in order:
        node = by_id[n]
        node_type = nodes.get(node["type"])
        slots = {s.name: s for s in node_type.slots}
        inputs = node["inputs"]
        pairs = (inputs.items() if isinstance(inputs, dict)
                 else ((None, r) for r in inputs))
        first = None
        for slot, ref in pairs:
            kind = kinds.get(ref, "any")
            first = first or kind
            allowed = slots[slot].kinds if slot in slots else node_type.input_kinds
            if kind != "any" and kind not in allowed:
                where = f"input '{slot}'" if slot else f"input '{ref}'"
                problems.add(n, f"{where} gives {kind}, but {node_type.name} takes "
                                f"{' or '.join(allowed)} there")
        if node_type.name == "SOURCE":
            kinds[n] = "list" if node["config"].get("list") else node["config"]["kind"]
        elif node_type.output == "same":
            kinds[n] = first or "any"
        else:
            kinds[n] = node_type.output


def _validate_dag(dag: Any, params: dict[str, Any], map_depth: int) -> dict:
    problems = _Problems()
    if not isinstance(dag, dict) or not isinstance(dag.get("nodes"), list):
        raise RecipeInvalid([{"node": None, "message": "dag must have a list of nodes"}])
    raw_nodes = dag["nodes"]
    if not 1 <= len(raw_nodes) <= MAX_NODES:
        raise RecipeInvalid([{"node": None, "message": f"dag must have 1 to {MAX_NODES} nodes"}])
    ids: set[str] = set()
    for i, raw in enumerate(raw_nodes):
        node_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(node_id, str) or not NAME.match(node_id):
            problems.add(None, f"nodes[{i}] needs an id (letters, digits, . _ -)")
        elif node_id in ids:
            problems.add(node_id, "id is used by more than one node")
        else:
            ids.add(node_id)
    by_id: dict[str, dict] = {}
    for raw in raw_nodes:
        node_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(node_id, str) or node_id not in ids or node_id in by_id:
            continue
        for extra in sorted(set(raw) - NODE_KEYS):
            problems.add(node_id, f"unknown field '{extra}'")
        node_type = nodes.get(raw.get("type"))
        if node_type is None:
            problems.add(node_id, f"unknown type {raw.get('type')!r}; known: "
                                  f"{', '.join(nodes.TYPES)}")
            continue
        config = raw.get("config") or {}
        if not isinstance(config, dict):
            problems.add(node_id, "config must be a mapping")
            continue
        config = _resolve_refs(config, params, node_id, problems,
                               nested=("params",) if node_type.name == "EFFECT" else ())
        inputs = _inputs(raw.get("inputs"), node_type, node_id, ids, problems)
        extra = {k: v for k, v in config.items() if k in node_type.extra_keys}
        scalars = {k: v for k, v in config.items() if k not in node_type.extra_keys}
        try:
            normalized = effects.validate_params(node_type, scalars)
        except InvalidParams as exc:
            problems.add(node_id, str(exc).replace("effect '", "node type '"))
            normalized = {p.name: p.default for p in node_type.params}
        count = len(inputs)
        normalized.update(_check_extra(node_type, extra, node_id, count, problems, map_depth))
        if node_type.name == "SOURCE":
            _check_source(normalized, node_id, problems)
        by_id[node_id] = {"id": node_id, "type": node_type.name, "config": normalized,
                          "inputs": inputs}

    output = dag.get("output")
    if isinstance(output, str):
        output = {"output": output}
    if not isinstance(output, dict) or not output:
        problems.add(None, "dag.output must name a node, or map output names to nodes")
        output = {}
    for name, ref in output.items():
        if not NAME.match(name) or not isinstance(ref, str) or ref not in by_id:
            problems.add(None, f"output '{name}' must name a node of the graph, got {ref!r}")
    if not problems:
        order = _order(by_id, problems)
        # Nodes that feed no output are almost always a mistake (a typo in an id).
        seen, todo = set(), [r for r in output.values()]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(_edges(by_id[n]))
        for n in sorted(set(by_id) - seen):
            problems.add(n, "is not used by any output")
        if not problems:
            _kinds(order, by_id, problems)
    if problems:
        raise RecipeInvalid(list(problems))
    # Positional run inputs bind to input SOURCEs in the order they are declared.
    inputs = [by_id[r["id"]]["config"]["name"] for r in raw_nodes
              if r.get("id") in by_id and by_id[r["id"]]["type"] == "SOURCE"
              and by_id[r["id"]]["config"].get("input")]
    if len(set(inputs)) != len(inputs):
        raise RecipeInvalid([{"node": None, "message": "two input SOURCEs share a name"}])
    return {"nodes": [by_id[n] for n in sorted(by_id)], "output": dict(sorted(output.items())),
            "inputs": inputs}


def validate(source: str | bytes | dict) -> dict:
    """The normalized recipe, or RecipeInvalid listing every problem."""
    document = parse(source)
    problems = _Problems()
    for extra in sorted(set(document) - TOP_KEYS):
        problems.add(None, f"unknown field '{extra}'")
    name = document.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        problems.add(None, "name is required: letters, digits, . _ - (up to 128)")
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, (str, int)):
        problems.add(None, "version must be a string or an integer")
    params_in = document.get("params") or {}
    declared: dict[str, dict] = {}
    if not isinstance(params_in, dict):
        problems.add(None, "params must be a mapping of name to declaration")
    else:
        for pname, decl in params_in.items():
            if not NAME.match(pname):
                problems.add(None, f"param name {pname!r} is not allowed")
            elif (checked := _param_decl(pname, decl, problems)) is not None:
                declared[pname] = checked
    try:
        dag = _validate_dag(document.get("dag"), {k: d["default"] for k, d in declared.items()}, 0)
    except RecipeInvalid as exc:
        problems.extend(exc.errors)
        dag = None
    if problems:
        raise RecipeInvalid(list(problems))
    # The graph is stored with param references intact, so a run's overrides
    # apply; validation above used the defaults.
    return {"name": name, "version": str(version),
            "description": str(document.get("description", "")),
            "owner": document.get("owner") if isinstance(document.get("owner"), str) else None,
            "params": dict(sorted(declared.items())),
            "dag": _with_refs(document["dag"], dag)}


def _with_refs(raw_dag: dict, normalized: dict) -> dict:
    """Put {"param": name} references back into the normalized configs (and
    into an EFFECT's own params), so each run's values apply."""
    raw_by_id = {n["id"]: n for n in raw_dag["nodes"]}
    out_nodes = []
    for node in normalized["nodes"]:
        raw_config = raw_by_id[node["id"]].get("config") or {}
        config = dict(node["config"])
        for key, value in raw_config.items():
            if is_ref(value):
                config[key] = {"param": value["param"]}
            elif key == "params" and node["type"] == "EFFECT" and isinstance(value, dict):
                config["params"] = {**config["params"], **{
                    k: {"param": v["param"]} for k, v in value.items() if is_ref(v)}}
        out_nodes.append({**node, "config": config})
    return {**normalized, "nodes": out_nodes}
