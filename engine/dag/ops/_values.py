"""What flows between steps: values read one frame at a time.

Every executor's implementation hash includes this file, because a change
here changes the bytes every step writes.

* ``Clip``: pictures and optional sound. Its facts (size, frame rate,
  duration, frame count) are known up front; its pictures are not held but
  produced on demand by ``frames(start)``, a fresh iterator of ``Frame``
  (an RGB uint8 HxWx3 image, its start and its duration in seconds). An op
  wraps its inputs' iterators in a generator of its own, so frames flow from
  the decoder through every op to the encoder one at a time: a worker's
  memory depends on the frame size and the recipe's shape, never on a clip's
  length. A still is a one-frame clip of duration 0 without sound.
* ``Audio``: float32 samples shaped (n, channels) at a sample rate, streamed
  in chunks by ``chunks()``; ``samples`` reads it whole (sound is small:
  23 MB a minute at 48 kHz stereo) for the ops that mix or analyse it.
* ``dict``: analysis results (ANALYZE), stored as canonical JSON.
* ``Items``: a list of cache ids (a list SOURCE, a MAP), stored as a manifest.

Intermediate values are stored losslessly (PNG stills; Matroska with FFV1
video and FLAC sound; WAV for sound alone) so chaining steps never compounds
compression; a recipe's outputs are encoded for delivery (MP4 H.264/AAC for
video, the input's own format for stills and animations, WAV for sound).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Iterator, NamedTuple

import numpy as np

LIST_MEDIA_TYPE = "application/vnd.artdag.list+json"
DATA_MEDIA_TYPE = "application/json"
EPSILON = 1e-6  # seconds: timestamps closer than this are the same instant


class Frame(NamedTuple):
    image: np.ndarray  # HxWx3 uint8 RGB
    start: float       # seconds from the clip's start
    duration: float    # seconds it shows (0 for a still)


class Audio:
    """Sound: either samples in memory, or an opener that streams chunks."""

    def __init__(self, samples: np.ndarray | None, rate: int, *,
                 opener: Callable[[], Iterator[np.ndarray]] | None = None,
                 channels: int | None = None, duration: float | None = None):
        if samples is None and opener is None:
            raise ValueError("Audio needs samples or an opener")
        self._samples = None if samples is None else np.asarray(samples, np.float32)
        self._opener = opener
        self.rate = int(rate)
        self._channels = channels
        self._duration = duration

    @property
    def samples(self) -> np.ndarray:
        if self._samples is None:
            chunks = list(self._opener())
            self._samples = (np.concatenate(chunks) if chunks
                             else np.zeros((0, self.channels), np.float32))
        return self._samples

    def chunks(self) -> Iterator[np.ndarray]:
        """The sound in order, as float32 (n, channels) arrays."""
        if self._samples is not None:
            step = self.rate  # one second a chunk
            for at in range(0, len(self._samples), step):
                yield self._samples[at:at + step]
        else:
            yield from self._opener()

    @property
    def channels(self) -> int:
        if self._samples is not None:
            return int(self._samples.shape[1])
        return int(self._channels or 2)

    @property
    def duration(self) -> float:
        if self._samples is not None:
            return len(self._samples) / self.rate if self.rate else 0.0
        return float(self._duration or 0.0)

    def __len__(self) -> int:
        return int(round(self.duration * self.rate))


@dataclass
class Clip:
    width: int
    height: int
    duration: float             # seconds of pictures (0 for a still)
    count: int                  # frames (an estimate until read, for files from outside)
    opener: Callable[[float], Iterator[Frame]] = field(repr=False)
    fps: Fraction = Fraction(25)  # the nominal rate, for encoders; frames carry exact times
    audio: Audio | None = None
    # The image format a still or an animation came in ("PNG", "GIF", ...):
    # a recipe's output is delivered in it. None for video.
    format: str | None = None
    loop: int | None = None     # an animation's loop count, kept on delivery

    def frames(self, start: float = 0.0) -> Iterator[Frame]:
        """A new iterator from the frame showing at ``start`` (seconds) to the end."""
        return self.opener(start)

    @property
    def still(self) -> bool:
        return self.duration == 0.0 and self.audio is None

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def length(self) -> float:
        """Seconds of the whole clip: its pictures or its sound, the longer."""
        return max(self.duration, self.audio.duration if self.audio else 0.0)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def first(self) -> np.ndarray:
        return next(iter(self.frames(0.0))).image

    def with_(self, **changes) -> Clip:
        return replace(self, **changes)


def from_frames(images: list[np.ndarray], durations: list[float], audio: Audio | None = None,
                *, format: str | None = None, loop: int | None = None) -> Clip:
    """A clip over frames already in memory (stills, animations, tests)."""
    images = [rgb(i) for i in images]
    starts = np.cumsum([0.0, *durations])[:-1].tolist()
    total = float(sum(durations))
    fps = Fraction(len(images) / total).limit_denominator(1001) if total > 0 else Fraction(25)

    def opener(start: float) -> Iterator[Frame]:
        for image, at, seconds in zip(images, starts, durations):
            if at + seconds > start + EPSILON or seconds == 0.0 or at >= start - EPSILON:
                yield Frame(image, at, seconds)

    height, width = images[0].shape[:2]
    return Clip(width, height, total, len(images), opener, fps, audio, format, loop)


def still(image: np.ndarray, *, format: str | None = "PNG") -> Clip:
    return from_frames([image], [0.0], format=format)


def map_frames(clip: Clip, fn: Callable[[np.ndarray], np.ndarray], *,
               size: tuple[int, int] | None = None) -> Clip:
    """The clip with ``fn`` applied to every picture, timing and sound kept.
    ``size`` is the new (width, height) when ``fn`` changes it; otherwise it is
    read from the first output frame when first asked."""

    def opener(start: float) -> Iterator[Frame]:
        for frame in clip.frames(start):
            yield Frame(fn(frame.image), frame.start, frame.duration)

    if size is None:
        size = clip.size
    return clip.with_(width=size[0], height=size[1], opener=opener)


class Cursor:
    """The picture showing at a time, for times that move forward; an earlier
    time starts the clip's frames again from there (a loop, a second pass)."""

    def __init__(self, clip: Clip):
        self.clip = clip
        self._iter: Iterator[Frame] | None = None
        self._now: Frame | None = None
        self._next: Frame | None = None

    def _restart(self, t: float) -> None:
        self._iter = self.clip.frames(max(0.0, t))
        self._now = next(self._iter, None)
        self._next = next(self._iter, None)

    def at(self, t: float) -> np.ndarray:
        if self._now is None or t < self._now.start - EPSILON:
            self._restart(t)
            if self._now is None:
                raise ValueError("the clip has no frames")
        while self._next is not None and self._next.start <= t + EPSILON:
            self._now, self._next = self._next, next(self._iter, None)
        return self._now.image


def timeline(clips: list[Clip]) -> Clip:
    """The clip whose timing several inputs share: the first, unless it is a
    still and another one moves."""
    return next((c for c in clips if not c.still), clips[0]) if clips[0].still else clips[0]


def zip_frames(clips: list[Clip], fn: Callable[[list[np.ndarray]], np.ndarray], *,
               size: tuple[int, int] | None = None) -> Clip:
    """Several clips combined picture by picture on the shared timeline: at
    each of its frames, every input's picture showing at that time."""
    lead = timeline(clips)

    def opener(start: float) -> Iterator[Frame]:
        cursors = [Cursor(c) for c in clips]
        for frame in lead.frames(start):
            images = [frame.image if c is lead else cur.at(frame.start)
                      for c, cur in zip(clips, cursors)]
            yield Frame(fn(images), frame.start, frame.duration)

    audio = next((c.audio for c in clips if c.audio is not None), None)
    if size is None:
        size = lead.size
    return lead.with_(width=size[0], height=size[1], opener=opener, audio=audio)


def sampled(clip: Clip, fps: float, duration: float | None = None) -> Iterator[Frame]:
    """The clip's pictures at a constant frame rate (sampled at frame centres)."""
    total = clip.length if duration is None else duration
    count = max(1, int(round(total * fps)))
    cursor = Cursor(clip)
    for i in range(count):
        yield Frame(cursor.at((i + 0.5) / fps), i / fps, 1 / fps)


@dataclass
class Items:
    ids: list[str] = field(default_factory=list)


def as_clip(value: Clip | Audio, seconds: float = 0.0) -> Clip:
    """A still becomes ``seconds`` long when a node needs time."""
    if isinstance(value, Audio):
        raise TypeError("sound has no pictures")
    if value.still and seconds > 0:
        image = value.first()
        return from_frames([image], [seconds], format=value.format)
    return value


def rgb(frame: np.ndarray) -> np.ndarray:
    """Frames flow as RGB; alpha is composited over black when it arrives."""
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4:
        alpha = frame[:, :, 3:4].astype(np.uint16)
        return ((frame[:, :, :3].astype(np.uint16) * alpha + 127) // 255).astype(np.uint8)
    return frame
