"""The demo every fresh server starts with: the `cat` asset and the built-in recipes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from assets.models import Asset
from cache.services import cache_import_local

from .builtin import BUILTIN_RECIPES
from .services import recipe_save

CAT = Path(settings.BASE_DIR) / "assets" / "demo" / "cat.png"


def seed_builtin_recipes() -> list[str]:
    for name, spec in BUILTIN_RECIPES.items():
        recipe_save(name=name, definition=spec["definition"], description=spec["description"])
    return list(BUILTIN_RECIPES)


def seed_demo() -> dict:
    """Idempotent: running it again changes nothing."""
    with transaction.atomic():
        recipes = seed_builtin_recipes()
    item, _ = cache_import_local(CAT)
    asset, created = Asset.objects.get_or_create(
        name="cat", defaults={"content": item, "tags": ["demo"],
                              "description": "Demo cat, drawn by code (assets/demo/draw_cat.py)"})
    return {"cat": asset.content_id, "asset_created": created, "recipes": recipes}
