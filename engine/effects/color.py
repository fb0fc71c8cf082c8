"""Per-pixel colour effects. Alpha passes through untouched.

Functions of one colour value (invert, brightness, contrast, posterize) are
a 256-entry table; grayscale is OpenCV's integer luma; sepia a 3x3 matrix in
10-bit fixed point. All integer arithmetic: the same bytes on every CPU.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.effects import Param, register
from engine.effects._common import (contiguous, gray_frame, keep_alpha, lookup, luma, quantize,
                                    rgb_of, value_table)

# The widely used sepia matrix (rows give output R, G, B).
_SEPIA = np.array((
    (0.393, 0.769, 0.189),
    (0.349, 0.686, 0.168),
    (0.272, 0.534, 0.131),
), dtype=np.float64)

# Contrast pivots on mid grey rather than the image mean: a mean over the
# frame would make every pixel depend on all others (and on summation order).
_MID_GREY = np.float32(127.5)


@register("invert", description="Photographic negative: each colour channel becomes 255 - value.")
def invert(img: np.ndarray) -> np.ndarray:
    if img.shape[2] == 3:
        return cv2.bitwise_not(contiguous(img))
    return lookup(img, np.arange(255, -1, -1, dtype=np.uint8))


@register("grayscale", description="Rec. 601 luma in all three colour channels.")
def grayscale(img: np.ndarray) -> np.ndarray:
    return gray_frame(luma(img), img)


def sepia_matrix(amount: float) -> np.ndarray:
    """(1 - amount) * identity + amount * sepia: the mix is one matrix."""
    return ((1.0 - amount) * np.eye(3) + amount * _SEPIA).astype(np.float32)


@register(
    "sepia",
    Param("amount", "float", 1.0, 0.0, 1.0, help="0 leaves the image as is, 1 is full sepia"),
    description="Warm brown antique tint.",
)
def sepia(img: np.ndarray, amount: float) -> np.ndarray:
    # cv2.transform on 8-bit RGB rounds each weight to a multiple of 1/1024
    # and sums integers, (w0 R + w1 G + w2 B + 512) >> 10, in its vector and
    # scalar code alike (tests compare it with that formula in numpy).
    return keep_alpha(cv2.transform(rgb_of(img), sepia_matrix(amount)), img)


@register(
    "posterize",
    Param("levels", "int", 4, 2, 256, help="distinct values per colour channel"),
    description="Reduces each colour channel to a few evenly spaced levels.",
)
def posterize(img: np.ndarray, levels: int) -> np.ndarray:
    return lookup(img, value_table(lambda v: quantize(v, levels)))


@register(
    "brightness",
    Param("factor", "float", 1.0, 0.0, 4.0, help="multiplier: 0 is black, 1 unchanged"),
    description="Scales every colour channel by a factor.",
)
def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    return lookup(img, value_table(lambda v: v * np.float32(factor)))


@register(
    "contrast",
    Param("factor", "float", 1.0, 0.0, 4.0, help="0 is flat grey, 1 unchanged, >1 more contrast"),
    description="Stretches colours away from (or toward) mid grey.",
)
def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    return lookup(img, value_table(lambda v: (v - _MID_GREY) * np.float32(factor) + _MID_GREY))
