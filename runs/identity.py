"""Run ids and the server's own identity."""

from __future__ import annotations

from django.conf import settings

from engine import identity
from engine.canonical import hash_object
from engine.recipe import effect_hashes

from .models import Recipe


def run_id_for(recipe: Recipe, input_hashes: list[str]) -> str:
    """SHA3-256 of the canonical encoding of::

        {"recipe": {"name": ..., "definition_hash": ...},
         "effects": [<implementation hash of each step's effect>],
         "inputs": [<content hash>, ...]}          # in the order given, never sorted

    Equal requests get equal ids; swapping two inputs, editing the recipe or
    changing an effect's code gives a new id.
    """
    return hash_object({
        "recipe": {"name": recipe.name, "definition_hash": recipe.definition_hash},
        "effects": effect_hashes(recipe.definition),
        "inputs": list(input_hashes),
    })


def software() -> dict:
    return identity.software_identity(settings.BASE_DIR, settings.VERSION)


def hardware() -> dict:
    return identity.hardware_identity()
