"""MUX: one input's pictures with another's sound, fitted to the pictures' length.

The sound may be sound alone or the soundtrack of a clip; it is cut or padded
with silence as it streams. A still with sound becomes a clip as long as the
sound. The result is a video (no image format) whatever the pictures came as.
"""

from . import _audio
from ._values import Clip, as_clip


def run(config: dict, inputs: dict, ctx) -> Clip:
    video = inputs["video"]
    sound = _audio.sound_of(inputs["audio"], ctx, "audio")
    if video.still:
        video = as_clip(video, sound.duration)
    samples = int(round(video.duration * sound.rate))
    return video.with_(audio=_audio.fit(sound, samples), format=None, loop=None)
