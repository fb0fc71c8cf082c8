"""ANALYZE: facts about media, and for sound a beat grid.

Sound: an RMS energy envelope at 100 Hz; onsets where the envelope's positive
slope (a spectral-flux stand-in that needs no FFT) peaks above an adaptive
threshold; tempo by autocorrelating that onset strength over the allowed BPM
range; beats placed on the tempo grid at the phase that collects the most
onset strength. Plain numpy, elementwise and in a fixed order.
"""

from __future__ import annotations

import numpy as np

from ._values import Audio, Clip

HOP_SECONDS = 0.01


def _envelope(audio: Audio) -> np.ndarray:
    mono = audio.samples.astype(np.float64).sum(axis=1) / audio.channels
    hop = max(1, int(audio.rate * HOP_SECONDS))
    count = len(mono) // hop
    frames = mono[:count * hop].reshape(count, hop)
    return np.sqrt((frames * frames).sum(axis=1) / hop)


def _beats(envelope: np.ndarray, min_bpm: float, max_bpm: float) -> dict:
    flux = np.maximum(np.diff(envelope, prepend=envelope[:1]), 0.0)
    if not flux.any():
        return {"tempo": None, "beats": [], "onsets": []}
    window = 25  # 0.25 s of context for the adaptive threshold
    padded = np.pad(flux, window, mode="edge")
    local = np.convolve(padded, np.ones(2 * window + 1) / (2 * window + 1), mode="same")[
        window:-window]
    is_peak = (flux > local * 1.5) & (flux >= np.roll(flux, 1)) & (flux >= np.roll(flux, -1))
    onsets = np.flatnonzero(is_peak & (flux > flux.max() * 0.1))
    lags = np.arange(int(round(60 / max_bpm / HOP_SECONDS)),
                     int(round(60 / min_bpm / HOP_SECONDS)) + 1)
    lags = lags[lags < len(flux)]
    if len(lags) == 0:
        return {"tempo": None, "beats": [], "onsets": (onsets * HOP_SECONDS).round(3).tolist()}
    scores = np.array([(flux[lag:] * flux[:-lag]).sum() for lag in lags])
    period = int(lags[int(np.argmax(scores))])
    phases = np.array([flux[p::period].sum() for p in range(period)])
    phase = int(np.argmax(phases))
    beats = np.arange(phase, len(flux), period) * HOP_SECONDS
    return {"tempo": round(60 / (period * HOP_SECONDS), 2),
            "beats": beats.round(3).tolist(),
            "onsets": (onsets * HOP_SECONDS).round(3).tolist()}


def run(config: dict, inputs: list, ctx) -> dict:
    value = inputs[0]
    facts: dict = {"duration": round(value.duration, 3)}
    if isinstance(value, Clip):
        width, height = value.size
        facts.update({"kind": "still" if value.still else "video", "width": width,
                      "height": height, "frames": len(value.frames),
                      "fps": None if value.still else round(value.fps, 3)})
        value = value.audio
    else:
        facts["kind"] = "audio"
    if value is not None and len(value.samples):
        envelope = _envelope(value)
        facts.update({"sample_rate": value.rate, "channels": value.channels,
                      "envelope": envelope.round(4).tolist()})
        facts.update(_beats(envelope, config["min_bpm"], config["max_bpm"]))
    return facts
