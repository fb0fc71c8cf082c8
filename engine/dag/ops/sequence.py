"""SEQUENCE: clips one after another, conformed to one size and frame rate.

Without beats each clip plays whole (a still for 2 s). With a beats input (an
ANALYZE of music), the timeline is cut every ``beats_per_cut`` beats and the
clips take turns filling the cuts, each resuming where it stopped last time
(and looping when it runs out). Crossfades overlap the next clip onto the
previous one's tail; with beats the tail is extended instead, so every cut
still starts on its beat. Fades dip to black around each boundary.
"""

from __future__ import annotations

import numpy as np

from engine.errors import InvalidParams

from . import _audio
from ._values import Clip, Items, frame_indices
from .resize import resize_frame
from .segment import cut_clip

STILL_SECONDS = 2.0


def _take(clip: Clip, cursor: float, seconds: float) -> tuple[Clip, float]:
    """``seconds`` of the clip from cursor, looping; returns the piece and the new cursor."""
    total = clip.duration
    if clip.still or total <= 0:
        return Clip(clip.frames, [seconds], None), cursor
    parts, taken = [], 0.0
    while seconds - taken > 1e-9:
        if cursor >= total - 1e-9:
            cursor = 0.0
        span = min(total - cursor, seconds - taken)
        parts.append(cut_clip(clip, cursor, cursor + span))
        cursor += span
        taken += span
    frames = [f for p in parts for f in p.frames]
    durations = [d for p in parts for d in p.durations]
    audios = [p.audio for p in parts if p.audio is not None]
    audio = None
    if audios:
        audio = type(audios[0])(np.concatenate([a.samples for a in audios]), audios[0].rate)
    return Clip(frames, durations, audio), cursor


def _pieces(clips: list[Clip], beats: dict | None, per_cut: int,
            overlap: float) -> tuple[list[Clip], list[float], float]:
    """The pieces, the time each starts, and the total length."""
    if beats is None:
        pieces, starts, t = [], [], 0.0
        for clip in clips:
            piece = Clip(clip.frames, [STILL_SECONDS], None) if clip.still else clip
            starts.append(t)
            pieces.append(piece)
            t += piece.duration - overlap
        return pieces, starts, t + overlap
    times = [float(b) for b in beats.get("beats", [])][::per_cut]
    end = float(beats.get("duration", 0.0))
    if end <= 0:
        raise InvalidParams("the beats input has no duration (is it an ANALYZE of sound?)")
    cuts = [0.0] + [t for t in times if 0.0 < t < end] + [end]
    cursors = [0.0] * len(clips)
    pieces, starts = [], []
    for i, (start, stop) in enumerate(zip(cuts, cuts[1:])):
        which = i % len(clips)
        tail = overlap if stop < end else 0.0
        piece, cursors[which] = _take(clips[which], cursors[which], stop - start + tail)
        pieces.append(piece)
        starts.append(start)
    return pieces, starts, end


def run(config: dict, inputs: dict, ctx) -> Clip:
    value = inputs["clips"]
    clips = [ctx.load(i) for i in value.ids] if isinstance(value, Items) else [value]
    if not clips or not all(isinstance(c, Clip) for c in clips):
        raise InvalidParams("SEQUENCE takes pictures: images, animations or videos")
    first = clips[0]
    width = config["width"] or first.size[0]
    height = config["height"] or first.size[1]
    fps = config["fps"] or (25.0 if first.still else min(60.0, first.fps))
    fade = config["transition_duration"] if config["transition"] != "cut" else 0.0
    overlap = fade if config["transition"] == "crossfade" else 0.0
    pieces, starts, total = _pieces(clips, inputs.get("beats"), config["beats_per_cut"], overlap)

    count = max(1, int(round(total * fps)))
    times = (np.arange(count) + 0.5) / fps
    frames = []
    for t in times:
        # The last piece that has started is on top; in a crossfade the one
        # before still shows beneath it.
        k = max(i for i, s in enumerate(starts) if s <= t + 1e-9)
        frame = _frame(pieces[k], t - starts[k], width, height)
        if k > 0 and overlap and t - starts[k] < overlap:
            under = _frame(pieces[k - 1], t - starts[k - 1], width, height)
            alpha = np.float32((t - starts[k]) / overlap)
            frame = np.round(under + (frame.astype(np.float32) - under) * alpha).astype(np.uint8)
        if config["transition"] == "fade" and fade:
            frame = _dip(frame, t, starts[1:], fade)
        frames.append(frame)
    return Clip(frames, [1 / fps] * count, _sound(pieces, starts, total))


def _frame(piece: Clip, t: float, width: int, height: int) -> np.ndarray:
    index = frame_indices(piece, np.array([t]))[0]
    frame = piece.frames[index]
    if frame.shape[:2] != (height, width):
        frame = resize_frame(frame, width, height, "fill")
    return frame


def _dip(frame: np.ndarray, t: float, boundaries: list[float], fade: float) -> np.ndarray:
    half = fade / 2
    for b in boundaries:
        if abs(t - b) < half:
            level = np.float32(abs(t - b) / half)
            return np.round(frame.astype(np.float32) * level).astype(np.uint8)
    return frame


def _sound(pieces: list[Clip], starts: list[float], total: float):
    tracks = [p.audio for p in pieces if p.audio is not None and len(p.audio.samples)]
    if not tracks:
        return None
    rate, channels = tracks[0].rate, max(a.channels for a in tracks)
    out = _audio.silence(total, rate, channels)
    for piece, start in zip(pieces, starts):
        if piece.audio is None or not len(piece.audio.samples):
            continue
        samples = _audio.to_rate(piece.audio, rate, channels)
        at = int(round(start * rate))
        room = max(0, len(out) - at)
        out[at:at + min(room, len(samples))] += samples[:room]
    return type(tracks[0])(np.clip(out, -1, 1), rate)
