"""The demo every fresh server starts with: the `cat` asset and the built-in recipes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_import_local, cache_store_bytes
from engine.dag import synth

from .builtin import builtin_documents
from .graphs import recipe_post

CAT = Path(settings.BASE_DIR) / "assets" / "demo" / "cat.png"
GRAPH_RECIPES = Path(settings.BASE_DIR) / "engine" / "dag" / "recipes"


def seed_builtin_recipes() -> list[str]:
    """The built-in recipes as this code declares them: a new version only
    where an effect's parameters changed since (migration 0009 made the first)."""
    documents = builtin_documents()
    for document in documents.values():
        recipe_post(document, builtin=True)
    return list(documents)


def seed_graph_recipes() -> list[str]:
    names = []
    for path in sorted(GRAPH_RECIPES.glob("*.yaml")):
        version, _ = recipe_post(path.read_text())
        names.append(version.recipe.name)
    return names


def seed_demo_media() -> dict[str, str]:
    """A music track with a steady beat and three short clips, made by code
    (engine.dag.synth) for the beat-cuts, slideshow and picture-in-picture demos."""
    made = {}
    wanted = {"demo-music": lambda: synth.beat_track(bpm=120, seconds=8),
              **{f"demo-clip-{i + 1}": (lambda i=i: synth.clip(
                  seed=i, seconds=2.0, size=(320, 180), tone=220.0 * (i + 1))) for i in range(3)}}
    for name, make in wanted.items():
        asset = Asset.objects.filter(name=name).first()
        if asset is None:
            data, media_type = synth.as_file(make())
            extension = ".wav" if media_type == "audio/wav" else ".mp4"
            item = cache_store_bytes(data, origin=CacheItem.Origin.IMPORTED,
                                     name=name + extension)
            asset, _ = Asset.objects.get_or_create(name=name, defaults={
                "content": item, "tags": ["demo"],
                "description": "Demo media made by code (engine/dag/synth.py)"})
        made[name] = asset.content_id
    return made


def seed_demo(*, media: bool = False) -> dict:
    """Idempotent: running it again changes nothing. ``media`` also makes the
    audio and video demo assets (a second or two of encoding)."""
    with transaction.atomic():
        recipes = seed_builtin_recipes() + seed_graph_recipes()
    item, _ = cache_import_local(CAT)
    asset, created = Asset.objects.get_or_create(
        name="cat", defaults={"content": item, "tags": ["demo"],
                              "description": "Demo cat, drawn by code (assets/demo/draw_cat.py)"})
    extra = seed_demo_media() if media else {}
    return {"cat": asset.content_id, "asset_created": created, "recipes": recipes, **extra}
