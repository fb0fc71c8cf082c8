"""A recipe's graph drawn as SVG, laid out here on the server (no script, no CDN).

The layout is the layered kind (Sugiyama, kept small): each node's column is
the length of the longest path from a source to it, nodes in a column are
ordered by the mean row of what feeds them (a few sweeps, which untangles
most crossings of graphs this size), and edges are curves from the right side
of a node to the left side of the next. A run's page draws the same graph
with each node coloured by its state; the browser updates the classes and
the progress bars as events arrive (static/live.js).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

NODE_W, NODE_H = 150, 46
GAP_X, GAP_Y = 60, 18
PAD = 12
STATES = ("pending", "running", "done", "cached", "failed")


@dataclass
class Node:
    id: str
    type: str
    deps: tuple[str, ...]
    col: int = 0
    row: float = 0.0


def graph_nodes_of_recipe(dag: dict) -> list[Node]:
    """The nodes of a recipe's graph document (engine.dag.validate's normal form)."""
    nodes = []
    for entry in dag.get("nodes", []):
        inputs = entry.get("inputs") or []
        refs = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
        deps = []
        for ref in refs:
            for one in (ref if isinstance(ref, list) else [ref]):
                if isinstance(one, str) and one not in deps:
                    deps.append(one)
        nodes.append(Node(entry["id"], entry["type"], tuple(deps)))
    return nodes


def graph_nodes_of_plan(plan: dict) -> list[Node]:
    """The steps of a run's plan, one node each."""
    return [Node(s["node"], s["type"], tuple(s.get("deps", ()))) for s in plan["steps"]]


def layout(nodes: list[Node]) -> tuple[dict[str, Node], int, int]:
    by_id = {n.id: n for n in nodes}
    for node in nodes:  # only edges between drawn nodes
        node.deps = tuple(d for d in node.deps if d in by_id and d != node.id)
    # Columns: longest path from a source (iteratively; a cycle cannot reach
    # here, validation refuses them, but the loop is bounded all the same).
    for _ in range(len(nodes)):
        changed = False
        for node in nodes:
            col = max((by_id[d].col + 1 for d in node.deps), default=0)
            if col != node.col:
                node.col, changed = col, True
        if not changed:
            break
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(node.col, []).append(node)
    for members in columns.values():
        for i, node in enumerate(members):
            node.row = float(i)
    users: dict[str, list[Node]] = {n.id: [] for n in nodes}
    for node in nodes:
        for dep in node.deps:
            users[dep].append(node)
    order = sorted(columns)
    for sweep in range(4):  # down by what feeds a node, then up by what it feeds
        cols = order[1:] if sweep % 2 == 0 else order[-2::-1]
        for col in cols:
            members = columns[col]
            def key(node, down=sweep % 2 == 0):
                near = [by_id[d] for d in node.deps] if down else users[node.id]
                return sum(n.row for n in near) / len(near) if near else node.row
            members.sort(key=key)
            for i, node in enumerate(members):
                node.row = float(i)
    tallest = max((len(m) for m in columns.values()), default=1)
    for members in columns.values():  # centre short columns
        offset = (tallest - len(members)) / 2
        for node in members:
            node.row += offset
    width = PAD * 2 + len(columns) * NODE_W + max(len(columns) - 1, 0) * GAP_X
    height = PAD * 2 + tallest * NODE_H + max(tallest - 1, 0) * GAP_Y
    return by_id, width, height


def _xy(node: Node) -> tuple[float, float]:
    return PAD + node.col * (NODE_W + GAP_X), PAD + node.row * (NODE_H + GAP_Y)


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _state_text(status: str, share: float) -> str:
    if status == "running" and share:
        return f" · running {round(share * 100)}%"
    return f" · {status}" if status else ""


def graph_svg(nodes: list[Node], *, states: dict[str, dict] | None = None,
              links: dict[str, str] | None = None, title: str = "graph") -> SafeString:
    """The graph as an inline <svg>. ``states``: node -> {"status", "frames_done",
    "frames_total"} (a run's); ``links``: node -> URL its box opens."""
    by_id, width, height = layout(nodes)
    states, links = states or {}, links or {}
    parts = [format_html(
        '<svg class="dag" id="dag" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'width="{}" height="{}" role="img" aria-labelledby="dag-title">'
        '<title id="dag-title">{}</title>'
        '<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
        width, height, width, height, title)]
    for node in nodes:
        x2, y2 = _xy(node)
        for dep in node.deps:
            x1, y1 = _xy(by_id[dep])
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
            bend = (ex - sx) / 2
            parts.append(format_html(
                '<path class="edge" data-from="{}" data-to="{}" marker-end="url(#dag-arrow)" '
                'd="M{},{} C{},{} {},{} {},{}"/>', dep, node.id, sx, sy, sx + bend, sy,
                ex - bend, ey, ex, ey))
    for node in nodes:
        x, y = _xy(node)
        state = states.get(node.id, {})
        status = state.get("status", "") if state.get("status") in STATES else ""
        done, total = state.get("frames_done"), state.get("frames_total")
        share = min(max(done / total, 0.0), 1.0) if status == "running" and done and total else 0.0
        tip = f"{node.id} ({node.type})" + (f": {status}" if status else "")
        box = format_html(
            '<g class="node {}" data-node="{}" data-status="{}" transform="translate({},{})">'
            '<title>{}</title>'
            '<rect class="box" width="{}" height="{}" rx="6"/>'
            '<rect class="bar" x="0" y="{}" width="{}" height="4" rx="2"/>'
            '<text class="name" x="10" y="19">{}</text>'
            '<text class="kind" x="10" y="35">{}<tspan class="state">{}</tspan></text></g>',
            status, node.id, status, x, y, tip, NODE_W, NODE_H, NODE_H - 4,
            round(NODE_W * share, 1), _label(node.id, 19), node.type.lower(),
            _state_text(status, share))
        if node.id in links:
            box = format_html('<a href="{}" class="node-link">{}</a>', links[node.id], box)
        parts.append(box)
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))


