"""What the dashboard's run and recipe pages draw from this app: the graph
as SVG with each node's state, the progress and ETA as of now."""

from __future__ import annotations

from django.utils.safestring import SafeString

from runs.models import Recipe, Run

from . import graph, selectors


def run_live_context(run: Run, steps: dict | None) -> dict:
    """The run page's live part as of now (the stream carries it on from here)."""
    snapshot = selectors.run_snapshot(run)
    for item in (steps or {}).get("items", []):
        # Mid-render, an inline run's steps are recorded only by its events.
        item["status"] = snapshot["nodes"].get(item["node"], {}).get("status", item["status"])
    svg = None
    if run.plan:
        outputs = {item["node"]: item["output_hash"] for item in (steps or {}).get("items", [])
                   if item.get("output_hash")}
        svg = graph.graph_svg(graph.graph_nodes_of_plan(run.plan), states=snapshot["nodes"],
                              links={node: f"/cache/{h}/detail" for node, h in outputs.items()},
                              title=f"the graph of run {run.id[:12]}, each step coloured by state")
    running = [(node, s) for node, s in snapshot["nodes"].items() if s["status"] == "running"]
    return {"snapshot": snapshot, "graph_svg": svg, "running_steps": running}


def recipe_graph_svg(recipe: Recipe) -> SafeString | None:
    dag = (recipe.definition or {}).get("dag")
    if not dag:
        return None
    nodes = graph.graph_nodes_of_recipe(dag)
    # A recipe has no outputs yet: a node's box opens its row of the table below.
    return graph.graph_svg(nodes, links={n.id: f"#node-{n.id}" for n in nodes},
                           title=f"the graph of recipe {recipe.name}")
