"""From a validated recipe and a run's inputs to the steps to execute, each
with its cache id.

A step's cache id is ``hash_object`` (engine.canonical) of::

    {"type": "EFFECT",                      # node type
     "config": {...},                       # after defaults and run params
     "impl": "<sha3>",                      # hash of the executor's code
     "inputs": ["<cache id>", ...]}         # in order; {slot: id} for slots

plus ``"deliver": true`` for a recipe output, which is encoded for delivery
(an MP4, the input's image format, a WAV) rather than as an intermediate.

A SOURCE step's cache id is the content hash of its bytes (never a path), so
the same file reached by asset name or by hash plans identically, and a
change to one parameter changes the ids of that step and of what depends on
it, nothing else. An EFFECT node applying ``identity`` to one input is no
step at all: it takes its input's id, so ``identity`` of any file is that
file's own hash, and a SOURCE that is itself an output is delivered as is.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from engine import effects
from engine.canonical import hash_object, is_content_hash
from engine.errors import InvalidParams

from . import nodes
from .validate import check_param_values, is_ref


@dataclass(frozen=True)
class Step:
    node: str
    type: str
    config: dict[str, Any]
    inputs: list[str] | dict[str, str]      # cache ids of the steps it reads
    cache_id: str
    depends_on: tuple[str, ...] = field(default=())  # node ids, for scheduling
    items: tuple[str, ...] | None = None  # a list input's members (its manifest)
    # A recipe output: encoded for delivery (MP4, the input's image format,
    # WAV) straight from the stream, instead of a lossless intermediate.
    deliver: bool = False


@dataclass(frozen=True)
class Plan:
    steps: list[Step]                      # in an order where inputs come first
    outputs: dict[str, str]                # output name -> cache id

    def step(self, node: str) -> Step:
        return next(s for s in self.steps if s.node == node)


# What every step's bytes depend on besides its own executor: the values,
# the sound helpers and the readers and writers of every stored file.
SHARED_MODULES = ("engine.dag.ops._values", "engine.dag.ops._audio", "engine.dag.ops._decode",
                  "engine.dag.ops._encode", "engine.dag.ops.avio", "engine.media")


def _borrowed(module) -> list[str]:
    """Other executors whose code this one calls (SEQUENCE resizes with
    RESIZE's resize_frame): a change there changes this one's bytes too."""
    names = set()
    for value in vars(module).values():
        origin = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", "")
        if (isinstance(origin, str) and origin.startswith("engine.dag.ops.")
                and origin != module.__name__ and origin not in SHARED_MODULES):
            names.add(origin)
    return sorted(names)


@lru_cache(maxsize=None)
def impl_hash(type_name: str) -> str:
    """Hash of a node type's executor source, the executors it borrows from
    and the shared media helpers."""
    module = importlib.import_module(nodes.TYPES[type_name].executor_module)
    parts = [module.__name__, *_borrowed(module), *SHARED_MODULES]
    return hash_object({"type": type_name, "source": [
        inspect.getsource(importlib.import_module(name)) for name in parts]})


def _node_impl(node: dict) -> str:
    if node["type"] == "EFFECT":
        effect = effects.get_effect(node["config"]["effect"])
        return hash_object([impl_hash("EFFECT"), effect.content_hash])
    if node["type"] == "MAP":
        inner = sorted({_node_impl(n) for n in node["config"]["graph"]["nodes"]})
        return hash_object([impl_hash("MAP"), inner])
    if node["type"] == "TRANSFORM" and node["config"].get("op") in ("blur", "sharpen"):
        # It blurs and sharpens with the effect library's kernels.
        effect = effects.get_effect(node["config"]["op"])
        return hash_object([impl_hash("TRANSFORM"), effect.content_hash])
    return impl_hash(node["type"])


class WrongInputs(InvalidParams):
    """The run's inputs do not match the inputs the recipe declares."""

    code = "wrong_input_count"


def bind_inputs(recipe: dict, given: Any) -> dict[str, Any]:
    """A run's inputs by name: a list binds in the order the recipe declares them."""
    names = recipe["dag"]["inputs"]
    if isinstance(given, list):
        if len(given) != len(names):
            raise WrongInputs(f"recipe '{recipe['name']}' takes {len(names)} input(s) "
                              f"({', '.join(names)}), got {len(given)}")
        given = dict(zip(names, given))
    if not isinstance(given, dict):
        raise InvalidParams("inputs must be a list, or an object of input name to hash(es)")
    missing = [n for n in names if n not in given]
    extra = sorted(set(given) - set(names))
    if missing or extra:
        raise WrongInputs("inputs: " + "; ".join(
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"unknown {', '.join(extra)}"] if extra else [])))
    return given


def build(recipe: dict, *, inputs: Any, params: Any = None,
          resolve: Callable[[str], str] | None = None) -> Plan:
    """Plan a run. ``resolve`` turns an asset name (or any input reference
    that is not a content hash) into a content hash, raising on unknown ones."""
    values = check_param_values(recipe["params"], params)
    bound = bind_inputs(recipe, inputs)

    def content(ref: Any) -> str:
        if is_content_hash(ref):
            return ref
        if resolve is None or not isinstance(ref, str):
            raise InvalidParams(f"{ref!r} is not a content hash")
        return resolve(ref)

    return _plan_dag(recipe["dag"], values, lambda name: bound[name], content, deliver=True)


def _source_id(config: dict, binding: Callable[[str], Any],
               content) -> tuple[str, tuple[str, ...] | None]:
    if config.get("input"):
        value = binding(config["name"])
        if config.get("list"):
            if not isinstance(value, list) or not value:
                raise InvalidParams(f"input '{config['name']}' takes a non-empty list")
            # A list is stored as its manifest; its bytes are this canonical form.
            items = tuple(content(v) for v in value)
            return hash_object({"items": list(items)}), items
        if isinstance(value, list):
            raise InvalidParams(f"input '{config['name']}' takes one item, not a list")
        return content(value), None
    return content(config.get("hash") or config.get("asset")), None


def _config(node: dict, values: dict) -> dict:
    """A node's config with the run's param values in place of references
    (an EFFECT's own params too, checked against the effect once filled in)."""
    config = {k: values[v["param"]] if is_ref(v) else v for k, v in node["config"].items()}
    if node["type"] == "EFFECT" and isinstance(config.get("params"), dict):
        effect = effects.get_effect(config["effect"])
        config["params"] = effects.validate_params(effect, {
            k: values[v["param"]] if is_ref(v) else v for k, v in config["params"].items()})
    return config


def _elided(node: dict, config: dict) -> bool:
    """identity of one input is that input: no step, and no new bytes."""
    refs = node["inputs"]
    return (node["type"] == "EFFECT" and config.get("effect") == "identity"
            and isinstance(refs, list) and len(refs) == 1)


def _plan_dag(dag: dict, values: dict, binding, content, *, deliver: bool = False) -> Plan:
    """``deliver``: the outputs are delivered (a recipe's top level), not
    handed on as intermediates (a MAP's sub-graph)."""
    by_id = {n["id"]: n for n in dag["nodes"]}
    configs = {n: _config(node, values) for n, node in by_id.items()}

    def producer(node_id: str) -> str:
        # The node whose step makes this node's value (identities pass through).
        while _elided(by_id[node_id], configs[node_id]):
            node_id = by_id[node_id]["inputs"][0]
        return node_id

    delivered = {producer(ref) for ref in dag["output"].values()} if deliver else set()
    ids: dict[str, str] = {}
    steps: list[Step] = []
    pending = sorted(by_id)
    # The graph was checked acyclic; repeat passes until every node is placed.
    while pending:
        waiting = []
        for node_id in pending:
            node = by_id[node_id]
            refs = node["inputs"]
            deps = list(refs.values()) if isinstance(refs, dict) else list(refs)
            if any(d not in ids for d in deps):
                waiting.append(node_id)
                continue
            config = configs[node_id]
            if _elided(node, config):
                ids[node_id] = ids[deps[0]]
                continue
            inputs = ({k: ids[v] for k, v in sorted(refs.items())} if isinstance(refs, dict)
                      else [ids[r] for r in refs])
            output = node_id in delivered
            if node["type"] == "SOURCE":
                content_id, items = _source_id(config, binding, content)
                if not config["duration"]:
                    ids[node_id] = content_id
                    steps.append(Step(node_id, "SOURCE", config, [], content_id, (), items))
                    continue
                # A still given a duration is a derived value: a step of its own.
                inputs = [content_id]
                impl = impl_hash("SOURCE")
            else:
                impl = _node_impl(node)
            cache_id = hash_object({"type": node["type"], "config": config, "impl": impl,
                                    "inputs": inputs, **({"deliver": True} if output else {})})
            ids[node_id] = cache_id
            steps.append(Step(node_id, node["type"], config, inputs, cache_id, tuple(deps),
                              deliver=output))
        if len(waiting) == len(pending):
            raise InvalidParams("the graph has a cycle")  # validate() prevents this
        pending = waiting
    return Plan(steps, {name: ids[ref] for name, ref in dag["output"].items()})
