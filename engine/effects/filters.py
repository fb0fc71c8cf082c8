"""Neighbourhood filters: blur, sharpen, edge detection and the DoG stylization.

Alpha passes through untouched: these change colour, not geometry. All of
them are 8-bit blurs and integer steps (see _common for why that gives the
same bytes everywhere); what is not an integer operation is a table.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.effects import Param, register
from engine.effects._common import (BORDER, contiguous, gaussian, gray_frame, keep_alpha, luma,
                                    quantize, rgb_of, value_table)


@register(
    "blur",
    Param("sigma", "float", 2.0, 0.0, 50.0, help="gaussian standard deviation in pixels"),
    description="Gaussian blur.",
)
def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    if sigma == 0.0:
        return img.copy()
    return keep_alpha(gaussian(img, sigma), img)


@register(
    "sharpen",
    Param("amount", "float", 1.0, 0.0, 5.0, help="how much of the detail to add back"),
    Param("sigma", "float", 1.0, 0.3, 10.0, help="size in pixels of the detail to boost"),
    description="Unsharp mask: adds back the difference between the image and a blur of it.",
)
def sharpen(img: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """img + amount * (img - blur), rounded half-to-even and clipped.

    ``amount`` is taken in 256ths, so every product and sum in OpenCV's
    float weighted add is a multiple of 1/256 below 2^16: exact in float32
    however the vector code orders or fuses it, and rounded once.
    """
    img = contiguous(img)
    soft = gaussian(img, sigma)
    gain = sharpen_gain(amount)
    out = cv2.addWeighted(img, 1.0 + gain, soft, -gain, 0.0)
    return keep_alpha(out, img)


def sharpen_gain(amount: float) -> float:
    """``amount`` to the nearest 256th (0.37 becomes 95/256)."""
    return round(amount * 256) / 256


@register(
    "edge",
    Param("strength", "float", 1.0, 0.0, 10.0, help="gain on the edge magnitude"),
    description="Sobel edge magnitude as a grayscale image: bright on edges, black on flat areas.",
)
def edge(img: np.ndarray, strength: float) -> np.ndarray:
    gray = luma(img)
    # Integer weights on 8-bit values: every sum is an integer below 2^24,
    # exact in float32 in any order; the squares and their sum too (at most
    # 2 * 1020^2), and sqrt is correctly rounded (IEEE) on every CPU.
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3, borderType=BORDER)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3, borderType=BORDER)
    # The Sobel kernel weights sum to 4 per side, so /4 maps a full black-to-white
    # step to 255 at strength 1. One float32 product, rounded half-to-even.
    # (Not cv2.magnitude: with Intel IPP its result differs in the last bit.)
    np.multiply(gx, gx, out=gx)
    np.multiply(gy, gy, out=gy)
    np.add(gx, gy, out=gx)
    np.sqrt(gx, out=gx)
    scale = float(np.float32(strength / 4.0))
    return gray_frame(cv2.convertScaleAbs(gx, alpha=scale), img)


def ink_table(threshold: float, sharpness: float, line_strength: float) -> np.ndarray:
    """How much of the flat colour is left, in 128ths (0..128), at each 8-bit
    amount by which the narrow blur is darker than the wide one."""
    darker = np.arange(256, dtype=np.float64) / 255.0
    response = np.minimum((threshold - darker) * sharpness, 0.0)
    # Soft step x / sqrt(1 + x^2): tanh's shape from correctly rounded operations.
    ink = response / np.sqrt(response * response + 1.0)
    return np.rint((1.0 + ink * line_strength) * 128.0).astype(np.uint8)


@register(
    "dog",
    Param(
        "sigma", "float", 1.4, 0.3, 10.0,
        help="scale in pixels of the detail kept; larger gives bolder, simpler lines",
    ),
    Param(
        "k", "float", 1.6, 1.05, 5.0,
        help="ratio of the wide blur to the narrow one; larger gives thicker lines",
    ),
    Param(
        "threshold", "float", 0.01, 0.0, 1.0,
        help="edge contrast (0..1) below which no ink is drawn; raise it to drop faint lines",
    ),
    Param(
        "sharpness", "float", 100.0, 1.0, 1000.0,
        help="how abruptly ink goes from none to full (phi); high is crisp, low soft pencil",
    ),
    Param("levels", "int", 5, 2, 32, help="colour levels per channel in the flat fill"),
    Param(
        "line_strength", "float", 1.0, 0.0, 1.0,
        help="darkness of the ink: 0 gives colour only, 1 full black lines",
    ),
    description=(
        "Ink-and-colour cartoon: Difference-of-Gaussians ink lines over flat posterized colour."
    ),
)
def dog(
    img: np.ndarray,
    sigma: float,
    k: float,
    threshold: float,
    sharpness: float,
    levels: int,
    line_strength: float,
) -> np.ndarray:
    """Turn a picture into an ink-and-colour cartoon (XDoG style).

    Two gaussian blurs of the brightness are subtracted: a narrow one (sigma)
    and a wide one (k * sigma). Where the picture changes fast, on the darker
    side of every edge, the narrow blur is darker than the wide one; that
    difference, once it exceeds ``threshold``, becomes ink. ``sharpness``
    sets how quickly the ink goes from none to fully black, so high values
    give crisp pen lines and low values a soft pencil shading. Flat areas and
    slow gradients get no ink at all.

    Under the ink, the colours are smoothed by the narrow blur and posterized
    to ``levels`` values per channel, which gives flat, poster-like fills.
    The ink multiplies the fill: ``line_strength`` 1 draws black lines, 0
    leaves only the flat colour.
    """
    colour = rgb_of(img)
    # Blurring the colour first smooths the fills; its luma is the narrow blur.
    smooth = gaussian(colour, sigma)
    narrow = luma(smooth)
    # Variances add under convolution: blurring the narrow result by this
    # sigma gives the wide blur at a third of the cost of blurring again.
    wide = gaussian(narrow, sigma * math.sqrt(k * k - 1.0))
    darker = cv2.subtract(wide, narrow)  # saturating: 0 where narrow is the lighter
    shade = cv2.LUT(darker, ink_table(threshold, sharpness, line_strength))
    flat = cv2.LUT(smooth, value_table(lambda v: quantize(v, levels)))
    # flat * shade / 128: the product of two bytes and a power-of-two scale
    # are exact in float32, in whatever order OpenCV's vector and scalar code
    # multiply them; the one rounding is half-to-even.
    out = cv2.multiply(flat, cv2.cvtColor(shade, cv2.COLOR_GRAY2RGB), scale=1.0 / 128.0)
    return keep_alpha(out, img)
