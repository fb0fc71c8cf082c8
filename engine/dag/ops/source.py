"""SOURCE: the bytes a run binds, decoded; a still given a duration becomes a clip."""

from ._values import Clip, as_clip


def run(config: dict, inputs: list, ctx) -> object:
    value = inputs[0]
    if isinstance(value, Clip) and config["duration"] > 0:
        return as_clip(value, config["duration"])
    return value
