"""Demo media made by code, so the demo and the tests download nothing.

``beat_track`` is a tone bed with a click on every beat at a steady tempo;
``clip`` is a short moving picture (a bar sweeping over a gradient) with an
optional tone, drawn frame by frame as it is read; ``as_file`` encodes a
value as a user would upload it (MP4, WAV, PNG).
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Iterator

import numpy as np

from .ops import avio
from .ops._values import EPSILON, Audio, Clip, Frame
from .ops._values import still as still_clip


def beat_track(*, bpm: float = 120.0, seconds: float = 4.0, rate: int = 22050) -> Audio:
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    bed = 0.15 * np.sin(2 * np.pi * 220.0 * t)
    period = 60.0 / bpm
    since_beat = np.mod(t, period)
    click = 0.8 * np.exp(-since_beat * 40.0) * np.sin(2 * np.pi * 1000.0 * t)
    mono = (bed + click).astype(np.float32)
    return Audio(np.stack([mono, mono], axis=1), rate)


def _background(seed: int, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    width, height = size
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 215, size=3)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    background = (base * (0.5 + 0.5 * ramp)).astype(np.uint8)
    return np.broadcast_to(background, (height, width, 3)), base


def clip(*, seed: int = 0, seconds: float = 2.0, fps: int = 12, size: tuple[int, int] = (96, 64),
         tone: float | None = None, rate: int = 22050) -> Clip:
    width, height = size
    background, base = _background(seed, size)
    count = int(seconds * fps)

    def draw(i: int) -> np.ndarray:
        frame = background.copy()
        x = int((i / max(count - 1, 1)) * (width - 8))
        frame[:, x:x + 8] = 255 - base.astype(np.uint8)
        return frame

    def opener(start: float) -> Iterator[Frame]:
        for i in range(count):
            if (i + 1) / fps > start + EPSILON:
                yield Frame(draw(i), i / fps, 1 / fps)

    audio = None
    if tone:
        t = np.arange(int(seconds * rate)) / rate
        mono = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
        audio = Audio(np.stack([mono, mono], axis=1), rate)
    return Clip(width, height, count / fps, count, opener, Fraction(fps), audio)


def still(*, seed: int = 0, size: tuple[int, int] = (96, 64)) -> Clip:
    background, base = _background(seed, size)
    frame = background.copy()
    frame[:, :8] = 255 - base.astype(np.uint8)
    return still_clip(frame)


def as_file(value, *, deliver: bool = True) -> tuple[bytes, str]:
    """The value's bytes and media type as a delivery file (MP4, WAV, PNG),
    as a user would upload it."""
    path, media_type = avio.write(value, deliver=deliver)
    try:
        return path.read_bytes(), media_type
    finally:
        os.unlink(path)
