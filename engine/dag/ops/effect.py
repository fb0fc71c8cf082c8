"""EFFECT: a library effect applied picture by picture, streamed.

One input: every frame through the effect, timing, sound and format kept.
Several (hstack and the other compositing effects): at each frame of the
shared timeline (the first input's, unless it is a still and another moves),
the picture every input shows at that time.

An effect may change the size (hstack, resize, rotate) and the library does
not declare how, so the first output picture is computed when the clip is
built and kept: the writer gets it from there instead of computing it twice.
"""

from __future__ import annotations

from typing import Iterator

from engine import effects
from engine.errors import InvalidParams

from ._values import Clip, Cursor, Frame, rgb, timeline


def run(config: dict, inputs: list[Clip], ctx) -> Clip:
    effect = effects.get_effect(config["effect"])
    params = effects.validate_params(effect, config["params"])
    threads = ctx.limits.effect_threads

    def fn(images):
        return rgb(effects.apply(effect, images, params, threads=threads))

    return combined(inputs, fn)


def combined(clips: list[Clip], fn) -> Clip:
    lead = timeline(clips)
    kept: list[Frame] = []  # the first output frame, once computed

    def opener(start: float) -> Iterator[Frame]:
        cursors = [None if c is lead else Cursor(c) for c in clips]
        for frame in lead.frames(start):
            if kept and frame.start == kept[0].start:
                yield kept[0]
                continue
            images = [frame.image if cur is None else cur.at(frame.start) for cur in cursors]
            yield Frame(fn(images), frame.start, frame.duration)

    frames = opener(0.0)
    first = next(frames, None)
    frames.close()  # let the decoders go until the writer asks again
    if first is None:
        raise InvalidParams("EFFECT: the input has no pictures")
    kept.append(first)
    height, width = first.image.shape[:2]
    audio = next((c.audio for c in clips if c.audio is not None), None)
    return lead.with_(width=width, height=height, opener=opener, audio=audio)
