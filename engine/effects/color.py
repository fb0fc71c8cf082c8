"""Per-pixel colour effects. Alpha passes through untouched."""

from __future__ import annotations

import numpy as np

from engine.effects import Param, register
from engine.effects._common import join_alpha, luminance, quantize, split_alpha

# The widely used sepia matrix (rows give output R, G, B).
_SEPIA = (
    (0.393, 0.769, 0.189),
    (0.349, 0.686, 0.168),
    (0.272, 0.534, 0.131),
)

# Contrast pivots on mid grey rather than the image mean: a mean over the
# frame would make every pixel depend on all others (and on summation order).
_MID_GREY = np.float32(127.5)


@register("invert", description="Photographic negative: each colour channel becomes 255 - value.")
def invert(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    # Exact in uint8; no float round trip needed.
    np.subtract(255, img[:, :, :3], out=out[:, :, :3])
    return out


@register("grayscale", description="Rec. 601 luma in all three colour channels.")
def grayscale(img: np.ndarray) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    luma = luminance(rgb)
    return join_alpha(np.repeat(luma[:, :, None], 3, axis=2), alpha)


@register(
    "sepia",
    Param("amount", "float", 1.0, 0.0, 1.0, help="0 leaves the image as is, 1 is full sepia"),
    description="Warm brown antique tint.",
)
def sepia(img: np.ndarray, amount: float) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    toned = np.empty_like(rgb)
    for channel, (wr, wg, wb) in enumerate(_SEPIA):
        toned[:, :, channel] = r * np.float32(wr) + g * np.float32(wg) + b * np.float32(wb)
    mixed = rgb + (toned - rgb) * np.float32(amount)
    return join_alpha(mixed, alpha)


@register(
    "posterize",
    Param("levels", "int", 4, 2, 256, help="distinct values per colour channel"),
    description="Reduces each colour channel to a few evenly spaced levels.",
)
def posterize(img: np.ndarray, levels: int) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    return join_alpha(quantize(rgb, levels), alpha)


@register(
    "brightness",
    Param("factor", "float", 1.0, 0.0, 4.0, help="multiplier: 0 is black, 1 unchanged"),
    description="Scales every colour channel by a factor.",
)
def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    return join_alpha(rgb * np.float32(factor), alpha)


@register(
    "contrast",
    Param("factor", "float", 1.0, 0.0, 4.0, help="0 is flat grey, 1 unchanged, >1 more contrast"),
    description="Stretches colours away from (or toward) mid grey.",
)
def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    return join_alpha((rgb - _MID_GREY) * np.float32(factor) + _MID_GREY, alpha)
