"""How much media one render may take on, checked from headers before decoding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Pixels in one frame. Memory follows the frame, not the clip (frames
    # stream one at a time), so this bounds a worker's memory: 40 M pixels
    # is 120 MB as RGB, room for an 8K frame (33 M) or a 40-megapixel photo,
    # while 4K (8.3 M) and 1080p (2.1 M) pass with margin.
    max_frame_pixels: int = 40_000_000
    # Seconds of media. Time to render grows with length, memory does not;
    # two hours lets a 10-minute 1080p clip and a 60-second 4K clip render
    # (as issue 13 asks) with the time limit per render as the real bound.
    max_seconds: float = 7200.0
    # Pixels of all the frames of an animation (GIF, WebP, APNG, multi-page
    # TIFF) together: their encoders hold every frame until the file is
    # written, so the bound is on the whole; 100 M pixels is 300 MB as RGB.
    max_animation_pixels: int = 100_000_000
    # Threads one effect may split a frame over (ARTDAG_EFFECT_THREADS). Not
    # a bound on media, but it travels with the render like the limits do;
    # it changes the time an effect takes, never its bytes.
    effect_threads: int = 1
