"""Recipes: named effect chains, validated as data before anything runs.

A definition is::

    {"inputs": 1,
     "steps": [{"effect": "dog", "params": {"levels": 5}}],
     "output_format": null}          # or "png" | "jpeg" | "webp" | "gif"

The first step receives every input (so a multi-input effect such as
``hstack`` can combine them, in order); each later step receives the result
of the one before. ``output_format`` null keeps the first input's format.
"""

from __future__ import annotations

from typing import Any

from . import effects
from .canonical import hash_object
from .errors import InvalidParams, RecipeError
from .media import FORMAT_NAMES

MAX_INPUTS = 16
MAX_STEPS = 64


def validate_definition(definition: Any) -> dict:
    """Return the normalized definition (defaults filled in) or raise
    RecipeError listing every problem found."""
    if not isinstance(definition, dict):
        raise RecipeError("a recipe definition must be an object")
    problems: list[str] = []
    extra = sorted(set(definition) - {"inputs", "steps", "output_format"})
    if extra:
        problems.append(f"unknown field(s): {', '.join(extra)}")
    inputs = definition.get("inputs", 1)
    if isinstance(inputs, bool) or not isinstance(inputs, int) or not 1 <= inputs <= MAX_INPUTS:
        problems.append(f"inputs must be an integer from 1 to {MAX_INPUTS}")
        inputs = 1
    fmt = definition.get("output_format")
    if fmt is not None and fmt not in FORMAT_NAMES:
        problems.append(f"output_format must be null or one of {', '.join(sorted(FORMAT_NAMES))}")
    steps = definition.get("steps")
    normalized_steps = []
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        problems.append(f"steps must be a list of 1 to {MAX_STEPS} steps")
        steps = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict) or "effect" not in step:
            problems.append(f"{where}: must be an object with an 'effect'")
            continue
        if set(step) - {"effect", "params"}:
            problems.append(f"{where}: unknown field(s) {sorted(set(step) - {'effect', 'params'})}")
        try:
            effect = effects.get_effect(step["effect"])
            params = effects.validate_params(effect, step.get("params"))
        except InvalidParams as exc:
            problems.append(f"{where}: {exc}")
            continue
        count = inputs if index == 0 else 1
        if not effect.min_inputs <= count <= effect.max_inputs:
            problems.append(
                f"{where}: effect '{effect.name}' takes {effect.min_inputs} to "
                f"{effect.max_inputs} input(s), the recipe gives it {count}"
            )
        normalized_steps.append({"effect": effect.name, "params": params})
    if problems:
        raise RecipeError("; ".join(problems))
    return {"inputs": inputs, "steps": normalized_steps, "output_format": fmt}


def definition_hash(definition: dict) -> str:
    return hash_object(validate_definition(definition))


def effect_hashes(definition: dict) -> list[str]:
    """Implementation hashes of the effects a definition uses, in step order."""
    return [effects.get_effect(step["effect"]).content_hash for step in definition["steps"]]
