"""SEGMENT: the part of a clip or a sound between start and start + duration."""

import numpy as np

from engine.errors import InvalidParams

from ._values import Audio, Clip


def cut_audio(audio: Audio | None, start: float, end: float) -> Audio | None:
    if audio is None:
        return None
    first, last = int(round(start * audio.rate)), int(round(end * audio.rate))
    return Audio(audio.samples[first:last], audio.rate)


def cut_clip(clip: Clip, start: float, end: float) -> Clip:
    """Frames shown in [start, end), each trimmed to the part inside it."""
    ends = np.cumsum(clip.durations)
    starts = ends - np.asarray(clip.durations)
    frames, durations = [], []
    for frame, s, e in zip(clip.frames, starts, ends):
        shown = min(e, end) - max(s, start)
        if shown > 1e-9:
            frames.append(frame)
            durations.append(float(shown))
    if not frames:
        # Past the pictures' end (sound runs longer): hold the last frame.
        frames, durations = [clip.frames[-1]], [end - start]
    return Clip(frames, durations, cut_audio(clip.audio, start, end))


def run(config: dict, inputs: list, ctx):
    value, start = inputs[0], config["start"]
    total = value.duration
    end = total if config["duration"] == 0 else min(total, start + config["duration"])
    if start >= total or (isinstance(value, Clip) and value.still):
        raise InvalidParams(f"SEGMENT starts at {start:g} s but its input lasts {total:g} s")
    if isinstance(value, Audio):
        return cut_audio(value, start, end)
    return cut_clip(value, start, end)
