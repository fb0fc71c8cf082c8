"""Per-pixel colour effects. Alpha passes through untouched."""

from __future__ import annotations

import numpy as np

from engine.effects import Param, register
from engine.effects._common import join_gray, luminance, per_value, quantize, to_uint8

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
    if img.shape[2] == 3:
        return np.subtract(255, img, dtype=np.uint8)  # one pass, no copy first
    out = img.copy()
    # Exact in uint8; no float round trip needed.
    np.subtract(255, img[:, :, :3], out=out[:, :, :3])
    return out


@register("grayscale", description="Rec. 601 luma in all three colour channels.")
def grayscale(img: np.ndarray) -> np.ndarray:
    # luminance() converts each channel to float32 itself: no float copy of the frame.
    alpha = img[:, :, 3:4] if img.shape[2] == 4 else None
    return join_gray(luminance(img[:, :, :3]), alpha)


@register(
    "sepia",
    Param("amount", "float", 1.0, 0.0, 1.0, help="0 leaves the image as is, 1 is full sepia"),
    description="Warm brown antique tint.",
)
def sepia(img: np.ndarray, amount: float) -> np.ndarray:
    # One contiguous float32 plane per channel (not strided slices of an
    # HxWx3 array), each output channel rounded as soon as it is done: the
    # same float operations per pixel, in about half the time.
    planes = [img[:, :, c].astype(np.float32) for c in range(3)]
    r, g, b = planes
    weight = np.float32(amount)
    out = []
    for channel, (wr, wg, wb) in enumerate(_SEPIA):
        toned = r * np.float32(wr) + g * np.float32(wg) + b * np.float32(wb)
        out.append(to_uint8(planes[channel] + (toned - planes[channel]) * weight))
    if img.shape[2] == 4:
        out.append(img[:, :, 3])
    return np.stack(out, axis=2)


@register(
    "posterize",
    Param("levels", "int", 4, 2, 256, help="distinct values per colour channel"),
    description="Reduces each colour channel to a few evenly spaced levels.",
)
def posterize(img: np.ndarray, levels: int) -> np.ndarray:
    return per_value(img, lambda v: quantize(v, levels))


@register(
    "brightness",
    Param("factor", "float", 1.0, 0.0, 4.0, help="multiplier: 0 is black, 1 unchanged"),
    description="Scales every colour channel by a factor.",
)
def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    return per_value(img, lambda v: v * np.float32(factor))


@register(
    "contrast",
    Param("factor", "float", 1.0, 0.0, 4.0, help="0 is flat grey, 1 unchanged, >1 more contrast"),
    description="Stretches colours away from (or toward) mid grey.",
)
def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    return per_value(img, lambda v: (v - _MID_GREY) * np.float32(factor) + _MID_GREY)
