"""Sound helpers shared by the executors (elementwise numpy only).

The streamed ones (``window``, ``fit``, ``respeed``) wrap an Audio's chunks in
a generator of their own, like the picture ops do with frames, so cutting or
fitting the soundtrack of a long clip never loads it whole. Mixing (SEQUENCE,
AUDIO_MIX) works on samples in memory: sound is small.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from engine.errors import EngineError

from ._values import Audio, Clip


class NoSound(EngineError):
    """A node that needs sound was given an input without any."""

    code = "no_sound"


def input_name(ctx, key) -> str:
    """What to call an input in a message: the node feeding it, else its slot."""
    names = getattr(ctx, "input_names", None) or {}
    return str(names.get(key, key))


def node_name(ctx) -> str:
    return str(getattr(ctx, "node", None) or "?")


def sound_of(value, ctx, key) -> Audio:
    """The sound of an input (sound alone, or a clip's soundtrack), or a clear
    error naming the node and the input."""
    sound = value if isinstance(value, Audio) else getattr(value, "audio", None)
    if sound is None:
        raise NoSound(f"node '{node_name(ctx)}': input '{input_name(ctx, key)}' has no sound")
    return sound


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


def _streamed(audio: Audio, chunks, samples: int) -> Audio:
    return Audio(None, audio.rate, opener=chunks, channels=audio.channels,
                 duration=samples / audio.rate if audio.rate else 0.0)


def _between(chunks: Iterator[np.ndarray], first: int, last: int | None) -> Iterator[np.ndarray]:
    """Samples [first, last) of a chunk stream (last None: to the end)."""
    at = 0
    for chunk in chunks:
        end = at + len(chunk)
        lo, hi = max(first, at), end if last is None else min(last, end)
        if hi > lo:
            yield chunk[lo - at:hi - at]
        at = end
        if last is not None and at >= last:
            return


def window(audio: Audio, start: float, end: float) -> Audio:
    """The sound between two times (seconds), streamed."""
    first, last = int(round(start * audio.rate)), int(round(end * audio.rate))
    # A streamed sound's length is its header's word: stream up to ``last``
    # whatever it says, and declare what it promises.
    declared = max(0, min(last, len(audio)) - first)
    return _streamed(audio, lambda: _between(audio.chunks(), first, last), declared)


def fit(audio: Audio, count: int) -> Audio:
    """Exactly ``count`` samples: the sound cut short, or padded with silence."""

    def chunks() -> Iterator[np.ndarray]:
        sent = 0
        for chunk in _between(audio.chunks(), 0, count):
            sent += len(chunk)
            yield chunk
        for at in range(sent, count, audio.rate or 1):
            yield np.zeros((min(audio.rate or 1, count - at), audio.channels), np.float32)

    return _streamed(audio, chunks, count)


def respeed(audio: Audio, factor: float) -> Audio:
    """The sound played ``factor`` times as fast, resampled by index like a
    tape (faster is higher): output sample j is input sample floor(j * factor)."""
    total = max(1, int(len(audio) / factor))

    def chunks() -> Iterator[np.ndarray]:
        j, at = 0, 0  # the next output sample; the input index the chunk starts at
        for chunk in audio.chunks():
            end = at + len(chunk)
            # Output samples whose source index falls inside this chunk.
            stop = min(total, int(np.ceil(end / factor)) + 1)
            wanted = np.arange(j, stop, dtype=np.int64)
            positions = (wanted * factor).astype(np.int64)
            wanted, positions = wanted[positions < end], positions[positions < end]
            if len(wanted):
                yield chunk[positions - at]
                j = int(wanted[-1]) + 1
            at = end
            if j >= total:
                return

    return _streamed(audio, chunks, total)


def clip_sound(clip: Clip) -> Audio | None:
    return clip.audio if clip.audio is not None and len(clip.audio) else None
