"""EFFECT: a library effect applied frame by frame (frame i of each input together)."""

from engine import effects

from ._values import Clip, rgb


def run(config: dict, inputs: list[Clip], ctx) -> Clip:
    effect = effects.get_effect(config["effect"])
    first = inputs[0]
    frames = []
    for i in range(len(first.frames)):
        # A shorter input (a still beside a clip) repeats its frames.
        images = [clip.frames[i % len(clip.frames)] for clip in inputs]
        frames.append(rgb(effects.apply(effect, images, config["params"])))
    return Clip(frames, list(first.durations), first.audio)
