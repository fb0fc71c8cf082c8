"""Recipes every server has, as graph documents: seeded by migration and
refreshed by seed_demo.

Each is an effect chain written as a graph: a SOURCE per input, one EFFECT
node per effect in a line, the last one the output. Every parameter of every
effect is a recipe param, declared as the effect declares it (type, range,
choices, help) with the chain's own value as its default, so `dog`'s `sigma`
or `pixel-art`'s `block` can be set per run. A name two effects of one chain
share is prefixed with the effect's name (`posterize_levels`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from engine import effects

# name -> (description, input names, [(effect, {param: value}), ...])
CHAINS: dict[str, tuple[str, tuple[str, ...], list[tuple[str, dict[str, Any]]]]] = {
    "dog": ("The artdag signature look: difference-of-Gaussians ink lines over flat "
            "posterized colour.", ("image",), [("dog", {})]),
    "identity": ("Returns its input unchanged: the output hash is the input hash.",
                 ("image",), [("identity", {})]),
    "invert": ("Photographic negative.", ("image",), [("invert", {})]),
    "sepia-print": ("Sepia tone with a little extra contrast.", ("image",),
                    [("sepia", {"amount": 1.0}), ("contrast", {"factor": 1.2})]),
    "pixel-art": ("Chunky pixels in a reduced palette.", ("image",),
                  [("pixelate", {"block": 8}), ("posterize", {"levels": 6})]),
    "diptych": ("Two inputs side by side, in the order given.", ("left", "right"),
                [("hstack", {})]),
}


def _declaration(param: effects.Param, default: Any) -> dict:
    return {"type": param.kind, "default": default, "minimum": param.minimum,
            "maximum": param.maximum, "choices": list(param.choices) or None,
            "help": param.help}


def effect_chain(name: str, steps: list[tuple[str, dict[str, Any]]], *,
                 inputs: tuple[str, ...] = ("image",), description: str = "",
                 kind: str | None = None) -> dict:
    """A recipe document for effects applied one after another: the first
    effect takes every input (in order), each later one the result before.

    ``kind`` is what the inputs may be: picture effects take "visual" (a
    still, an animation or a video, refused at submission otherwise);
    ``identity`` alone takes "any" file, sound too.
    """
    chain = [(effects.get_effect(effect), values) for effect, values in steps]
    if kind is None:
        kind = "any" if all(e.name == "identity" for e, _ in chain) else "visual"
    shared = Counter(p.name for e, _ in chain for p in e.params)
    counts = Counter(e.name for e, _ in chain)
    seen: Counter = Counter()
    params: dict[str, dict] = {}
    nodes = [{"id": n, "type": "SOURCE", "config": {"input": True, "name": n, "kind": kind}}
             for n in inputs]
    previous = list(inputs)
    for effect, values in chain:
        seen[effect.name] += 1
        node = effect.name if counts[effect.name] == 1 else f"{effect.name}-{seen[effect.name]}"
        refs = {}
        for param in effect.params:
            public = param.name if shared[param.name] == 1 else f"{node}_{param.name}"
            params[public] = _declaration(param, values.get(param.name, param.default))
            refs[param.name] = {"param": public}
        nodes.append({"id": node, "type": "EFFECT", "inputs": previous,
                      "config": {"effect": effect.name, "params": refs}})
        previous = [node]
    return {"name": name, "description": description, "params": params,
            "dag": {"nodes": nodes, "output": previous[0]}}


def builtin_documents() -> dict[str, dict]:
    """name -> recipe document (not yet validated) of every built-in recipe."""
    return {name: effect_chain(name, steps, inputs=inputs, description=description)
            for name, (description, inputs, steps) in CHAINS.items()}
