"""MAP: a sub-graph run once per item of a list; the results form a new list.

The runtime (engine.dag.execute) plans and runs each item's sub-graph as its
own steps, so items are cached one by one; this module only assembles them.
"""

from ._values import Items


def run(config: dict, inputs: list, ctx) -> Items:
    return Items([ctx.run_graph(config["graph"], {"item": item}) for item in inputs[0].ids])
