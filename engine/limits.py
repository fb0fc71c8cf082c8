"""How much media one render may take on: pixels per frame and seconds.

Memory follows the frame, not the clip (frames stream through the steps one
at a time), so the limits are per frame and per second of media rather than
all frames together. Readers check them against a file's header before
decoding anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_frame_pixels: int = 40_000_000  # a 4K frame is 8.3 million; room for large stills
    max_seconds: float = 7200.0
