"""SEQUENCE: clips one after another, conformed to one size and frame rate.

Without beats each clip plays whole (a still for 2 s). With a beats input (an
ANALYZE of music), the timeline is cut every ``beats_per_cut`` beats and the
clips take turns filling the cuts, each resuming where it stopped last time
(and looping when it runs out). Crossfades overlap the next clip onto the
previous one's tail; with beats the tail is extended instead, so every cut
still starts on its beat. Fades dip to black around each boundary.

A piece is a time window of a source clip, not its frames: the output is
sampled at a constant frame rate (at frame centres) and each piece's pictures
are read by time through a reader of its clip (a Cursor). A clip keeps its
reader between its pieces, so a cut that resumes the clip decodes on from
where the last one stopped instead of seeking back to a keyframe and decoding
forward again; a second reader opens only when two pieces of one clip show at
once (a crossfade into itself), and a loop back to the start reopens the
clip. Idle readers are kept within a budget of decoded pixels, dropping the
one whose clip comes back last. The sound is assembled in memory from the
pieces' windows of their clips' sound.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np

from engine.errors import InvalidParams

from . import _audio
from ._values import EPSILON, Audio, Clip, Cursor, Frame, Items
from .resize import REDUCING_GAP, resize_frame

STILL_SECONDS = 2.0
LOOP_EPSILON = 1e-9  # a cursor this close to a clip's end starts it again
# Idle readers kept for their clips' next pieces, in decoded pixels: an open
# 1080p H.264 decoder holds about 55 MB (its threads' contexts and reference
# pictures), so this keeps about four, and a list of many clips does not open
# them all at once.
IDLE_PIXELS = 4 * 1920 * 1080


@dataclass(frozen=True)
class Piece:
    clip: Clip
    start: float    # on the output's timeline
    offset: float   # where in the clip it begins
    length: float   # seconds it lasts
    loops: bool     # past the clip's end it starts again (beat cuts)

    def spans(self) -> Iterator[tuple[float, float]]:
        """The piece as windows of its clip's time, in order."""
        total = self.clip.duration
        if not self.loops or total <= 0:
            yield self.offset, self.offset + self.length
            return
        cursor, taken = self.offset, 0.0
        while self.length - taken > LOOP_EPSILON:
            if cursor >= total - LOOP_EPSILON:
                cursor = 0.0
            span = min(total - cursor, self.length - taken)
            yield cursor, cursor + span
            cursor += span
            taken += span

    def source_time(self, local: float) -> float:
        total = self.clip.duration
        if total <= 0:
            return 0.0
        t = self.offset + local
        if self.loops:
            t %= total
            if total - t < LOOP_EPSILON:
                t = 0.0
        return max(0.0, t)


def _plain(clips: list[Clip], overlap: float) -> tuple[list[Piece], float]:
    pieces, t = [], 0.0
    for clip in clips:
        length = STILL_SECONDS if clip.still else clip.length
        pieces.append(Piece(clip, t, 0.0, length, loops=False))
        t += length - overlap
    return pieces, t + overlap


def _on_beats(clips: list[Clip], beats: dict, per_cut: int,
              overlap: float) -> tuple[list[Piece], float]:
    times = [float(b) for b in beats.get("beats", [])][::per_cut]
    end = float(beats.get("duration", 0.0))
    if end <= 0:
        raise InvalidParams("the beats input has no duration (is it an ANALYZE of sound?)")
    cuts = [0.0] + [t for t in times if 0.0 < t < end] + [end]
    cursors = [0.0] * len(clips)
    pieces = []
    for i, (start, stop) in enumerate(zip(cuts, cuts[1:])):
        which = i % len(clips)
        clip = clips[which]
        length = stop - start + (overlap if stop < end else 0.0)
        pieces.append(Piece(clip, start, cursors[which], length, loops=True))
        if not clip.still and clip.duration > 0:
            cursors[which] = (cursors[which] + length) % clip.duration
    return pieces, end


def _clips(value, ctx) -> list[Clip]:
    clips = [ctx.load(i) for i in value.ids] if isinstance(value, Items) else [value]
    if not clips or not all(isinstance(c, Clip) for c in clips):
        raise InvalidParams("SEQUENCE takes pictures: images, animations or videos")
    return clips


def run(config: dict, inputs: dict, ctx) -> Clip:
    clips = _clips(inputs["clips"], ctx)
    first = clips[0]
    width = config["width"] or first.width
    height = config["height"] or first.height
    # A still (or a still given a duration) has no frame rate of its own.
    rate = config["fps"] or (25.0 if first.count <= 1 else min(60.0, first.fps))
    fps = Fraction(rate).limit_denominator(1001)
    fade = config["transition_duration"] if config["transition"] != "cut" else 0.0
    overlap = fade if config["transition"] == "crossfade" else 0.0
    beats = inputs.get("beats")
    if beats is None:
        pieces, total = _plain(clips, overlap)
    else:
        if "beats" not in beats:
            raise _audio.NoSound(f"node '{_audio.node_name(ctx)}': input "
                                 f"'{_audio.input_name(ctx, 'beats')}' has no sound to find "
                                 "beats in")
        pieces, total = _on_beats(clips, beats, config["beats_per_cut"], overlap)
    count = max(1, int(round(total * float(fps))))
    dip = fade if config["transition"] == "fade" else 0.0
    opener = _pictures(pieces, float(fps), count, width, height, overlap, dip)
    return Clip(width, height, count / float(fps), count, opener, fps,
                _sound(pieces, total), None, None)


class _Reader:
    """One clip's pictures at the output size, read forward by time."""

    def __init__(self, clip: Clip, key: int, width: int, height: int):
        self.clip, self.key, self.size = clip, key, (width, height)
        self.cursor = Cursor(clip)
        self.time = -1.0   # the last time read, in the clip's own time
        self.returns = 0   # while idle: the piece its clip fills next
        self._source: np.ndarray | None = None
        self._sized: np.ndarray | None = None

    def at(self, t: float) -> np.ndarray:
        self.time = t
        image = self.cursor.at(t)
        if image is not self._source:  # a still or a slower clip repeats its pictures
            self._source = image
            width, height = self.size
            self._sized = (image if image.shape[:2] == (height, width)
                           else resize_frame(image, width, height, "fill",
                                             reducing_gap=REDUCING_GAP))
        return self._sized


class _Readers:
    """The readers of the pieces showing, and idle ones for clips to come."""

    def __init__(self, pieces: list[Piece], width: int, height: int):
        self.pieces, self.width, self.height = pieces, width, height
        # The same clip fills many pieces: readers belong to the clip.
        keys: dict[int, int] = {}
        self.key = [keys.setdefault(id(p.clip), len(keys)) for p in pieces]
        self.next_use = [len(pieces)] * len(pieces)  # the clip's next piece after each
        later: dict[int, int] = {}
        for k in reversed(range(len(pieces))):
            self.next_use[k] = later.get(self.key[k], len(pieces))
            later[self.key[k]] = k
        self.held: dict[int, _Reader] = {}  # piece -> its reader
        self.idle: list[_Reader] = []

    def at(self, k: int, t: float) -> np.ndarray:
        piece = self.pieces[k]
        local = piece.source_time(t - piece.start)
        if k not in self.held:
            self.held[k] = self._take(self.key[k], local) or \
                _Reader(piece.clip, self.key[k], self.width, self.height)
        return self.held[k].at(local)

    def _take(self, key: int, local: float) -> _Reader | None:
        spare = [r for r in self.idle if r.key == key]
        if not spare:
            return None
        # One that has not passed ``local`` decodes on; any other starts again.
        behind = [r for r in spare if r.time <= local]
        reader = max(behind, key=lambda r: r.time) if behind else spare[0]
        self.idle.remove(reader)
        return reader

    def keep(self, showing: set[int]) -> None:
        """Let go of the pieces that have ended (time only moves forward)."""
        for k in [k for k in self.held if k not in showing]:
            reader = self.held.pop(k)
            reader.returns = self.next_use[k]
            if reader.returns < len(self.pieces):  # else its clip is done: its decoder goes
                self.idle.append(reader)
        # Over the budget, the reader whose clip comes back last goes first.
        self.idle.sort(key=lambda r: r.returns)
        while self.idle and sum(r.clip.pixels for r in self.idle) > IDLE_PIXELS:
            self.idle.pop()


def _pictures(pieces: list[Piece], fps: float, count: int, width: int, height: int,
              overlap: float, fade: float):
    starts = [p.start for p in pieces]
    boundaries = starts[1:]
    half = fade / 2

    def opener(start: float) -> Iterator[Frame]:
        readers = _Readers(pieces, width, height)
        for i in range(min(max(0, int(start * fps + EPSILON)), count - 1), count):
            t = (i + 0.5) / fps
            # The last piece that has started is on top; in a crossfade the
            # one before still shows beneath it.
            k = max(0, bisect_right(starts, t + 1e-9) - 1)
            mixed = bool(overlap) and k > 0 and t - starts[k] < overlap
            readers.keep({k, k - 1} if mixed else {k})
            frame = readers.at(k, t)
            if mixed:
                under = readers.at(k - 1, t)
                alpha = np.float32((t - starts[k]) / overlap)
                frame = np.round(under + (frame.astype(np.float32) - under) * alpha).astype(
                    np.uint8)
            if fade:
                frame = _dip(frame, t, boundaries, half)
            yield Frame(frame, i / fps, 1 / fps)

    return opener


def _dip(frame: np.ndarray, t: float, boundaries: list[float], half: float) -> np.ndarray:
    # Boundaries are in order: the first one after t - half is the nearest
    # candidate, and the one that counts if two are near.
    at = bisect_right(boundaries, t - half)
    if at < len(boundaries) and boundaries[at] < t + half:
        level = np.float32(abs(t - boundaries[at]) / half)
        return np.round(frame.astype(np.float32) * level).astype(np.uint8)
    return frame


def _sound(pieces: list[Piece], total: float) -> Audio | None:
    tracks = [p.clip.audio for p in pieces if p.clip.audio is not None and len(p.clip.audio)]
    if not tracks:
        return None
    rate, channels = tracks[0].rate, max(a.channels for a in tracks)
    out = _audio.silence(total, rate, channels)
    for piece in pieces:
        sound = piece.clip.audio
        if sound is None or not len(sound):
            continue
        samples = sound.samples  # read once per clip: a streamed Audio keeps them
        parts = [samples[int(round(a * sound.rate)):int(round(b * sound.rate))]
                 for a, b in piece.spans()]
        window = Audio(np.concatenate(parts), sound.rate)
        fitted = _audio.to_rate(window, rate, channels)
        at = int(round(piece.start * rate))
        room = max(0, len(out) - at)
        out[at:at + min(room, len(fitted))] += fitted[:room]
    return Audio(np.clip(out, -1, 1), rate)
