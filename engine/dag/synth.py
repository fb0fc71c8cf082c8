"""Demo media made by code, so the demo and the tests download nothing.

``beat_track`` is a tone bed with a click on every beat at a steady tempo;
``clip`` is a short moving picture (a bar sweeping over a gradient) with an
optional tone.
"""

from __future__ import annotations

import numpy as np

from .ops import avio
from .ops._values import Audio, Clip


def beat_track(*, bpm: float = 120.0, seconds: float = 4.0, rate: int = 22050) -> Audio:
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    bed = 0.15 * np.sin(2 * np.pi * 220.0 * t)
    period = 60.0 / bpm
    since_beat = np.mod(t, period)
    click = 0.8 * np.exp(-since_beat * 40.0) * np.sin(2 * np.pi * 1000.0 * t)
    mono = (bed + click).astype(np.float32)
    return Audio(np.stack([mono, mono], axis=1), rate)


def clip(*, seed: int = 0, seconds: float = 2.0, fps: int = 12, size: tuple[int, int] = (96, 64),
         tone: float | None = None, rate: int = 22050) -> Clip:
    width, height = size
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 215, size=3)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    background = (base * (0.5 + 0.5 * ramp)).astype(np.uint8)
    background = np.broadcast_to(background, (height, width, 3))
    frames = []
    count = int(seconds * fps)
    for i in range(count):
        frame = background.copy()
        x = int((i / max(count - 1, 1)) * (width - 8))
        frame[:, x:x + 8] = 255 - base.astype(np.uint8)
        frames.append(frame)
    audio = None
    if tone:
        t = np.arange(int(seconds * rate)) / rate
        mono = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
        audio = Audio(np.stack([mono, mono], axis=1), rate)
    return Clip(frames, [1 / fps] * count, audio)


def still(*, seed: int = 0, size: tuple[int, int] = (96, 64)) -> Clip:
    return Clip([clip(seed=seed, seconds=1, fps=1, size=size).frames[0]], [0.0])


def as_file(value, *, final: bool = True) -> tuple[bytes, str]:
    """The value as a delivery file (MP4, WAV, PNG), as a user would upload it."""
    return avio.encode(value, final=final)
