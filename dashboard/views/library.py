"""Assets and recipes: lists and detail pages."""

from django.shortcuts import get_object_or_404, render

from assets.models import Asset
from engine import effects
from runs.models import Recipe, Run

from .common import page


@page()
def asset_list(request):
    return render(request, "dashboard/asset_list.html", {
        "assets": Asset.objects.select_related("content", "owner").order_by("name")[:500],
    })


@page()
def asset_page(request, name: str):
    asset = get_object_or_404(Asset.objects.select_related("content", "owner"), name=name)
    return render(request, "dashboard/asset_detail.html", {"asset": asset, "item": asset.content})


@page()
def recipe_list(request):
    return render(request, "dashboard/recipe_list.html", {"recipes": Recipe.objects.order_by("name")})


def _steps(recipe: Recipe) -> list[dict]:
    return [{"effect": effects.effect_info(effects.get_effect(step["effect"])),
             "params": step["params"]} for step in recipe.definition["steps"]]


@page()
def recipe_page(request, name: str):
    recipe = get_object_or_404(Recipe, name=name)
    return render(request, "dashboard/recipe_detail.html", {
        "recipe": recipe, "steps": _steps(recipe),
        "runs": Run.objects.filter(recipe_name=recipe.name).select_related("output")
        .order_by("-created_at")[:12],
    })
