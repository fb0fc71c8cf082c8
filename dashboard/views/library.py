"""Assets and recipes: lists and detail pages."""

import json

from django.shortcuts import get_object_or_404, render

from assets.selectors import assets_listed
from engine import effects
from live.pages import recipe_graph_svg
from runs.models import Recipe
from runs.selectors import recipes_listed, runs_listed

from .common import page


@page()
def asset_list(request):
    return render(request, "dashboard/asset_list.html", {
        "assets": assets_listed()[:500],
    })


@page()
def asset_page(request, name: str):
    asset = get_object_or_404(assets_listed(), name=name)
    return render(request, "dashboard/asset_detail.html", {"asset": asset, "item": asset.content})


@page()
def recipe_list(request):
    return render(request, "dashboard/recipe_list.html", {"recipes": recipes_listed()})


def _steps(recipe: Recipe) -> list[dict]:
    if recipe.kind == Recipe.Kind.GRAPH:
        return []
    return [{"effect": effects.effect_info(effects.get_effect(step["effect"])),
             "params": step["params"]} for step in recipe.definition["steps"]]


def _graph(recipe: Recipe) -> dict | None:
    """A graph recipe laid out for the page: params, nodes with their inputs, outputs."""
    if recipe.kind != Recipe.Kind.GRAPH:
        return None
    dag = recipe.definition["dag"]
    nodes = []
    for node in dag["nodes"]:
        inputs = node["inputs"]
        wired = ([f"{slot}: {ref}" for slot, ref in inputs.items()] if isinstance(inputs, dict)
                 else list(inputs))
        nodes.append({"id": node["id"], "type": node["type"], "inputs": wired,
                      "config": json.dumps(node["config"], sort_keys=True)})
    return {"inputs": dag["inputs"], "params": recipe.definition["params"], "nodes": nodes,
            "outputs": dag["output"],
            "versions": recipe.versions.select_related("owner").order_by("-created_at")[:20]}


@page()
def recipe_page(request, name: str):
    recipe = get_object_or_404(Recipe, name=name)
    return render(request, "dashboard/recipe_detail.html", {
        "recipe": recipe, "steps": _steps(recipe), "graph": _graph(recipe),
        "graph_svg": recipe_graph_svg(recipe),
        "runs": runs_listed(recipe=recipe.name).select_related("output")[:12],
    })
