"""Effects that combine several frames into one."""

from __future__ import annotations

import numpy as np

from engine.effects import register
from engine.effects._common import MAX_SIDE, resample_frame
from engine.errors import InvalidParams


def _with_alpha(img: np.ndarray) -> np.ndarray:
    if img.shape[2] == 4:
        return img
    opaque = np.full(img.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([img, opaque], axis=2)


@register(
    "hstack",
    description=(
        "Places the inputs side by side, left to right in the given order; each is "
        "scaled (Lanczos, keeping its aspect ratio) to the height of the first."
    ),
    min_inputs=2,
    max_inputs=16,
)
def hstack(imgs: list[np.ndarray]) -> np.ndarray:
    height = imgs[0].shape[0]
    scaled = []
    for img in imgs:
        h, w = img.shape[:2]
        width = max(1, round(w * height / h))
        # A short, wide input next to a tall first one would blow up in width.
        if width > MAX_SIDE:
            raise InvalidParams(
                f"effect 'hstack' would scale a {w}x{h} input to {width}x{height}; "
                f"each side must be at most {MAX_SIDE}"
            )
        # Inputs already at the height are used as they are: concatenate copies anyway.
        scaled.append(img if h == height else resample_frame(img, width, height, "lanczos"))
    if any(img.shape[2] == 4 for img in scaled):
        scaled = [_with_alpha(img) for img in scaled]
    return np.concatenate(scaled, axis=1)
