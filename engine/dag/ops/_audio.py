"""Sound helpers shared by SEQUENCE, MUX and AUDIO_MIX (elementwise numpy only)."""

import numpy as np

from ._values import Audio


def to_rate(audio: Audio, rate: int, channels: int) -> np.ndarray:
    """Samples at another rate (linear interpolation) and channel count."""
    samples = audio.samples
    if samples.shape[1] != channels:
        samples = (np.repeat(samples, channels, axis=1) if samples.shape[1] == 1
                   else samples[:, :1] * np.float32(0.5) + samples[:, 1:2] * np.float32(0.5))
        if channels == 2 and samples.shape[1] == 1:
            samples = np.repeat(samples, 2, axis=1)
    if audio.rate == rate or len(samples) == 0:
        return samples.astype(np.float32)
    count = int(round(len(samples) * rate / audio.rate))
    positions = np.arange(count, dtype=np.float64) * (audio.rate / rate)
    left = np.minimum(positions.astype(np.int64), len(samples) - 1)
    right = np.minimum(left + 1, len(samples) - 1)
    frac = (positions - left).astype(np.float32)[:, None]
    return samples[left] * (1 - frac) + samples[right] * frac


def silence(seconds: float, rate: int, channels: int) -> np.ndarray:
    return np.zeros((max(0, int(round(seconds * rate))), channels), np.float32)


def fit_length(samples: np.ndarray, count: int) -> np.ndarray:
    if len(samples) >= count:
        return samples[:count]
    return np.concatenate([samples, np.zeros((count - len(samples), samples.shape[1]),
                                             np.float32)])
