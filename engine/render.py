"""Apply a recipe to input files: decode once, run the effect chain, encode once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import effects, media
from .recipe import validate_definition


@dataclass(frozen=True)
class Rendered:
    """Either new bytes, or ``passthrough``: the index of the input that is
    itself the output (an identity chain), so nothing is decoded or copied."""

    data: bytes | None
    passthrough: int | None
    format: str | None


def _is_noop(definition: dict, first: Path, first_format: str | None, max_pixels: int) -> bool:
    if definition["inputs"] != 1 or any(s["effect"] != "identity" for s in definition["steps"]):
        return False
    fmt = definition["output_format"]
    if fmt is None:
        return True
    # Only now does the input's format matter: read its header if not given.
    first_format = first_format or media.header(first, max_pixels=max_pixels).format
    return fmt.upper() == first_format


def render(definition: dict, inputs: list[Path], *, max_pixels: int,
           input_format: str | None = None) -> Rendered:
    definition = validate_definition(definition)
    if len(inputs) != definition["inputs"]:
        raise effects.InvalidParams(
            f"recipe takes {definition['inputs']} input(s), got {len(inputs)}"
        )
    if _is_noop(definition, inputs[0], input_format, max_pixels):
        return Rendered(data=None, passthrough=0, format=input_format)

    decoded = [media.decode(path, max_pixels=max_pixels) for path in inputs]
    chain = [(effects.get_effect(s["effect"]), s["params"]) for s in definition["steps"]]
    first = decoded[0]
    frames = []
    # Frame i of the output combines frame i of every input; a shorter input
    # (a still beside an animation) repeats its frames.
    for i in range(len(first.frames)):
        images = [m.frames[i % len(m.frames)] for m in decoded]
        for effect, params in chain:
            images = [effects.apply(effect, images, params)]
        frames.append(images[0])
    out = media.Media(format=first.format, frames=frames,
                      durations=first.durations, loop=first.loop)
    fmt = (definition["output_format"] or first.format).upper()
    return Rendered(data=media.encode(out, fmt), passthrough=None, format=fmt)
