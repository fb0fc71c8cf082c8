"""MUX: a video's pictures with another input's sound, fitted to the pictures' length."""

from engine.errors import InvalidParams

from . import _audio
from ._values import Audio, Clip


def run(config: dict, inputs: dict, ctx) -> Clip:
    video, source = inputs["video"], inputs["audio"]
    sound = source if isinstance(source, Audio) else getattr(source, "audio", None)
    if sound is None:
        raise InvalidParams("MUX: the audio input has no sound")
    seconds = sum(video.durations) if not video.still else sound.duration
    durations = [seconds] if video.still else list(video.durations)
    samples = _audio.fit_length(sound.samples, int(round(seconds * sound.rate)))
    return Clip(list(video.frames), durations, Audio(samples, sound.rate))
