"""SEGMENT: the part of a clip or a sound between start and start + duration.

Pictures are read from the frame showing at ``start`` (a reader seeks there)
and stop at the end; their timestamps are shifted so the part starts at 0,
and the frames at either edge are trimmed to the part inside it. The sound is
cut by samples as it streams.
"""

from __future__ import annotations

from typing import Iterator

from engine.errors import InvalidParams

from . import _audio
from ._values import EPSILON, Audio, Clip, Frame


def cut_clip(clip: Clip, start: float, end: float) -> Clip:
    """Frames shown in [start, end), shifted to start at 0."""
    pictures = min(end, clip.duration) - start
    audio = _audio.window(clip.audio, start, end) if clip.audio is not None else None
    if pictures <= EPSILON:
        # Past the pictures' end (the sound runs longer): hold the last frame.
        last = None
        for last in clip.frames(max(0.0, clip.duration - EPSILON)):
            pass
        if last is None:
            raise InvalidParams("SEGMENT: the input has no pictures")
        image = last.image
        return clip.with_(duration=end - start, count=1, audio=audio,
                          opener=lambda at: iter([Frame(image, 0.0, end - start)]))

    def opener(at: float) -> Iterator[Frame]:
        for frame in clip.frames(start + at):
            if frame.start >= end - EPSILON:
                return
            begin = max(frame.start, start)
            shown = min(frame.start + frame.duration, end) - begin
            if shown > EPSILON:
                yield Frame(frame.image, begin - start, shown)

    count = max(1, round(clip.count * pictures / clip.duration)) if clip.duration else 1
    return clip.with_(duration=pictures, count=count, audio=audio, opener=opener)


def run(config: dict, inputs: list, ctx):
    value, start = inputs[0], config["start"]
    total = value.length if isinstance(value, Clip) else value.duration
    end = total if config["duration"] == 0 else min(total, start + config["duration"])
    if start >= total or (isinstance(value, Clip) and value.still):
        raise InvalidParams(f"SEGMENT starts at {start:g} s but its input lasts {total:g} s")
    if isinstance(value, Audio):
        return _audio.window(value, start, end)
    return cut_clip(value, start, end)
