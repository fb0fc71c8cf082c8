"""AUDIO_MIX: sounds summed with gains at the first input's rate; normalize
scales the mix so its peak sits just below full scale. An input may be sound
alone or a clip's soundtrack (its pictures are never read); mixing is done in
memory, since sound is small."""

import numpy as np

from . import _audio
from ._values import Audio


def run(config: dict, inputs: list, ctx) -> Audio:
    tracks = [_audio.sound_of(value, ctx, i) for i, value in enumerate(inputs)]
    rate, channels = tracks[0].rate, max(t.channels for t in tracks)
    converted = [_audio.to_rate(t, rate, channels) for t in tracks]
    length = max(len(c) for c in converted)
    mix = np.zeros((length, channels), np.float32)
    for samples, gain in zip(converted, config["gains"]):
        mix[:len(samples)] += samples * np.float32(gain)
    if config["normalize"]:
        peak = float(np.max(np.abs(mix))) if length else 0.0
        if peak > 0:
            mix *= np.float32(0.98 / peak)
    return Audio(np.clip(mix, -1, 1), rate)
