"""Values made in memory for the executors' tests: clips whose pictures are
generated on the fly (never held), sound with beats, and a context whose
loader serves values by id.

A numbered clip's frame i is a flat picture whose first two channels spell i
(i % 256, i // 256), so a test reads back exactly which source frame an op
produced at a time.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator

import numpy as np

from engine.dag import execute
from engine.dag.ops._values import Audio, Clip, Frame, from_frames


def numbered_picture(i: int, size: tuple[int, int], tint: int = 7) -> np.ndarray:
    width, height = size
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = i % 256, i // 256, tint
    return image


def number(image: np.ndarray) -> int:
    return int(image[0, 0, 0]) + 256 * int(image[0, 0, 1])


class Numbered:
    """A clip of ``count`` frames at ``fps`` made one at a time; it records
    the starts it was opened at and how many frames it produced."""

    def __init__(self, count: int, fps: float = 10.0, size: tuple[int, int] = (64, 48),
                 audio: Audio | None = None, tint: int = 7, pictures: bool = True):
        self.count, self.fps, self.size, self.tint = count, fps, size, tint
        self.opened: list[float] = []
        self.produced = 0
        self.pictures = pictures
        self.clip = Clip(size[0], size[1], count / fps, count, self._open,
                         Fraction(fps).limit_denominator(1001), audio)

    def _open(self, start: float) -> Iterator[Frame]:
        if not self.pictures:
            raise AssertionError("the pictures were read")
        self.opened.append(start)
        return self._frames(start)

    def _frames(self, start: float) -> Iterator[Frame]:
        first = min(self.count - 1, max(0, int(start * self.fps + 1e-9)))
        for i in range(first, self.count):
            self.produced += 1
            yield Frame(numbered_picture(i, self.size, self.tint), i / self.fps, 1 / self.fps)


def numbered(count: int, **options) -> Clip:
    return Numbered(count, **options).clip


def tone(seconds: float, rate: int = 22050, channels: int = 2, hz: float = 300.0) -> Audio:
    t = np.arange(int(round(seconds * rate))) / rate
    mono = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return Audio(np.repeat(mono[:, None], channels, axis=1), rate)


def beat_track(*, bpm: float = 120.0, seconds: float = 4.0, rate: int = 22050) -> Audio:
    """A tone bed with a click on every beat at a steady tempo."""
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    bed = 0.15 * np.sin(2 * np.pi * 220.0 * t)
    since_beat = np.mod(t, 60.0 / bpm)
    click = 0.8 * np.exp(-since_beat * 40.0) * np.sin(2 * np.pi * 1000.0 * t)
    mono = (bed + click).astype(np.float32)
    return Audio(np.stack([mono, mono], axis=1), rate)


def streamed(audio: Audio, chunk: int = 1000) -> Audio:
    """The same sound as a reader streams it: chunks of an odd size, nothing held."""
    samples = audio.samples

    def chunks() -> Iterator[np.ndarray]:
        for at in range(0, len(samples), chunk):
            yield samples[at:at + chunk].copy()

    return Audio(None, audio.rate, opener=chunks, channels=audio.channels,
                 duration=audio.duration)


class Values(execute.Context):
    """A context whose loader serves values by id (a SEQUENCE's list items)."""

    def __init__(self, values: dict | None = None, node: str = "probe"):
        super().__init__(store=None)
        self.values = values or {}
        self.node = node

    def load(self, cache_id: str):
        return self.values[cache_id]


def sweep(*, seed: int = 0, seconds: float = 2.0, fps: int = 12,
          size: tuple[int, int] = (96, 64), tone_hz: float | None = None,
          rate: int = 22050) -> Clip:
    """A short moving picture in memory: a bar sweeping over a gradient whose
    colour the seed picks (so a cut shows which clip it came from)."""
    width, height = size
    base = np.random.default_rng(seed).integers(40, 215, size=3)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    background = np.broadcast_to((base * (0.5 + 0.5 * ramp)).astype(np.uint8),
                                 (height, width, 3))
    count = int(seconds * fps)
    images = []
    for i in range(count):
        image = background.copy()
        x = int((i / max(count - 1, 1)) * (width - 8))
        image[:, x:x + 8] = 255 - base.astype(np.uint8)
        images.append(image)
    audio = tone(seconds, rate, hz=tone_hz) if tone_hz else None
    return from_frames(images, [1 / fps] * count, audio)
