"""ANALYZE: facts about media, and for sound a beat grid.

Sound: an RMS energy envelope at 100 Hz; onsets where the envelope's positive
slope (a spectral-flux stand-in that needs no FFT) peaks above an adaptive
threshold; tempo by autocorrelating that onset strength over the allowed BPM
range; beats placed on the tempo grid at the phase that collects the most
onset strength. Plain numpy, elementwise and in a fixed order.

Only sound and header facts are read: a video's soundtrack is analysed
without decoding a picture, and media without sound gives facts without
beats.
"""

from __future__ import annotations

import numpy as np

from ._values import Audio, Clip

HOP_SECONDS = 0.01


def _envelope(audio: Audio) -> tuple[np.ndarray, int]:
    """RMS per hop, read as the sound streams (a hop's sum is the same numbers
    added in the same order whatever chunk it arrives in), and the samples read."""
    hop = max(1, int(audio.rate * HOP_SECONDS))
    parts, left, samples = [], np.zeros(0, np.float64), 0
    for chunk in audio.chunks():
        samples += len(chunk)
        mono = chunk.astype(np.float64).sum(axis=1) / chunk.shape[1]
        if len(left):
            mono = np.concatenate([left, mono])
        count = len(mono) // hop
        frames = mono[:count * hop].reshape(count, hop)
        parts.append(np.sqrt((frames * frames).sum(axis=1) / hop))
        left = mono[count * hop:]
    return (np.concatenate(parts) if parts else np.zeros(0, np.float64)), samples


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
    if isinstance(value, Clip):
        # Header facts and the soundtrack only: the pictures are never read.
        facts: dict = {"duration": round(value.length, 3),
                       "kind": "still" if value.still else "video",
                       "width": value.width, "height": value.height, "frames": value.count,
                       "fps": None if value.still else round(float(value.fps), 3)}
        value = value.audio
    else:
        facts = {"duration": round(value.duration, 3), "kind": "audio"}
    if value is None:
        return facts
    envelope, samples = _envelope(value)
    if isinstance(inputs[0], Audio) and value.rate:
        # Counted, not the header's word: a streamed sound's header may be off.
        facts["duration"] = round(samples / value.rate, 3)
    if len(envelope):
        facts.update({"sample_rate": value.rate, "channels": value.channels,
                      "envelope": envelope.round(4).tolist()})
        facts.update(_beats(envelope, config["min_bpm"], config["max_bpm"]))
    return facts
