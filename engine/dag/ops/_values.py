"""What flows between steps, and how each value is stored as bytes.

Every executor's implementation hash includes this file, because a change
here changes the bytes every step writes.

* ``Clip``: pictures (RGB uint8 frames, each with a duration in seconds) and
  optional sound. A still image is a one-frame clip with duration 0.
* ``Audio``: float32 samples shaped (n, channels) at a sample rate.
* ``dict``: analysis results (ANALYZE), stored as canonical JSON.
* ``Items``: a list of cache ids (a list SOURCE, a MAP), stored as a manifest.

Intermediate values are stored losslessly (PNG stills; Matroska with FFV1
video and FLAC audio; WAV for sound) so chaining steps never compounds
compression; only a recipe's outputs are encoded for delivery (MP4 H.264/AAC,
PNG, WAV).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LIST_MEDIA_TYPE = "application/vnd.artdag.list+json"
DATA_MEDIA_TYPE = "application/json"


@dataclass
class Audio:
    samples: np.ndarray  # float32, (n, channels), values in [-1, 1]
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    @property
    def channels(self) -> int:
        return self.samples.shape[1]


@dataclass
class Clip:
    frames: list[np.ndarray]
    durations: list[float]  # seconds per frame; [0.0] for a still
    audio: Audio | None = None

    @property
    def still(self) -> bool:
        return len(self.frames) == 1 and self.durations[0] == 0.0 and self.audio is None

    @property
    def duration(self) -> float:
        pictures = float(sum(self.durations))
        return max(pictures, self.audio.duration if self.audio else 0.0)

    @property
    def size(self) -> tuple[int, int]:
        height, width = self.frames[0].shape[:2]
        return width, height

    @property
    def fps(self) -> float:
        """The clip's frame rate: frames over picture time (25 for a still)."""
        total = sum(self.durations)
        return len(self.frames) / total if total > 0 else 25.0


@dataclass
class Items:
    ids: list[str] = field(default_factory=list)


def as_clip(value: Clip | Audio, seconds: float = 0.0) -> Clip:
    """Sound alone becomes a clip without pictures only where a node allows it;
    a still becomes ``seconds`` long when a node needs time."""
    if isinstance(value, Audio):
        raise TypeError("sound has no pictures")
    if value.still and seconds > 0:
        return Clip(value.frames, [seconds], None)
    return value


def rgb(frame: np.ndarray) -> np.ndarray:
    """Frames flow as RGB; alpha is composited over black when it arrives."""
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4:
        alpha = frame[:, :, 3:4].astype(np.uint16)
        return ((frame[:, :, :3].astype(np.uint16) * alpha + 127) // 255).astype(np.uint8)
    return frame


def frame_indices(clip: Clip, times: np.ndarray) -> np.ndarray:
    """Index of the frame showing at each time (seconds); the last past the end."""
    ends = np.cumsum(np.asarray(clip.durations, dtype=np.float64))
    return np.minimum(np.searchsorted(ends, times, side="right"), len(clip.frames) - 1)


def retime(clip: Clip, fps: float, duration: float | None = None) -> list[np.ndarray]:
    """The clip's pictures sampled at a constant frame rate (frame centres)."""
    total = clip.duration if duration is None else duration
    count = max(1, int(round(total * fps)))
    times = (np.arange(count, dtype=np.float64) + 0.5) / fps
    return [clip.frames[i] for i in frame_indices(clip, times)]


def aligned(a: Clip, b: Clip) -> tuple[list[float], list[tuple[np.ndarray, np.ndarray]], Audio | None]:
    """Two clips on one timeline: the first's, unless it is a still and the
    second moves. Returns durations, frame pairs and the timeline's sound."""
    timeline = b if a.still and not b.still else a
    starts = np.cumsum([0.0, *timeline.durations])[:-1]
    pick_a = frame_indices(a, starts) if not a.still else [0] * len(starts)
    pick_b = frame_indices(b, starts) if not b.still else [0] * len(starts)
    pairs = [(a.frames[i], b.frames[j]) for i, j in zip(pick_a, pick_b)]
    return list(timeline.durations), pairs, (a.audio or b.audio)
