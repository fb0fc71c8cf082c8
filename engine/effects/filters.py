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
from engine.effects._common import (BORDER, contiguous, gaussian, gray_frame, keep_alpha,
                                    lookup, luma, quantize, rgb_of, to_uint8)


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
    """img + amount * (img - blur), rounded and clipped, in 8-bit steps.

    The detail is split by sign into two saturating differences (at each
    value one of them is 0); a table scales each by ``amount``, rounding
    half-to-even, and saturating adds put them back. Saturation cannot
    change the result: a scaled part over 255 pushes any value to the limit.
    """
    img = rgb_of(img) if img.shape[2] == 3 else contiguous(img)
    soft = gaussian(img, sigma)
    scale = to_uint8(np.arange(256, dtype=np.float32) * np.float32(amount))
    lighter = cv2.LUT(cv2.subtract(img, soft), scale)
    darker = cv2.LUT(cv2.subtract(soft, img), scale)
    out = cv2.subtract(cv2.add(img, lighter), darker)
    return keep_alpha(out, img)


@register(
    "edge",
    Param("strength", "float", 1.0, 0.0, 10.0, help="gain on the edge magnitude"),
    description="Sobel edge magnitude as a grayscale image: bright on edges, black on flat areas.",
)
def edge(img: np.ndarray, strength: float) -> np.ndarray:
    gray = luma(img)
    # 8-bit in, 16-bit out, integer kernel: OpenCV filters in integers.
    gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3, borderType=BORDER)
    gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3, borderType=BORDER)
    # Squares and their sum stay below 2^24, so float32 holds them exactly;
    # sqrt and one product are correctly rounded (IEEE): exact everywhere.
    mag = gx.astype(np.float32)
    np.multiply(mag, mag, out=mag)
    y = gy.astype(np.float32)
    np.multiply(y, y, out=y)
    np.add(mag, y, out=mag)
    np.sqrt(mag, out=mag)
    # The Sobel kernel weights sum to 4 per side, so /4 maps a full black-to-white
    # step to 255 at strength 1.
    np.multiply(mag, np.float32(strength / 4.0), out=mag)
    np.rint(mag, out=mag)
    np.minimum(mag, 255, out=mag)
    return gray_frame(mag.astype(np.uint8), img)


def ink_table(threshold: float, sharpness: float, line_strength: float) -> np.ndarray:
    """How much of the flat colour is left (0..256, in 256ths) at each 8-bit
    amount by which the narrow blur is darker than the wide one."""
    darker = np.arange(256, dtype=np.float64) / 255.0
    response = np.minimum((threshold - darker) * sharpness, 0.0)
    # Soft step x / sqrt(1 + x^2): tanh's shape from correctly rounded operations.
    ink = response / np.sqrt(response * response + 1.0)
    return np.rint((1.0 + ink * line_strength) * 256.0).astype(np.uint16)


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
    shade = cv2.LUT(cv2.cvtColor(darker, cv2.COLOR_GRAY2RGB),
                    ink_table(threshold, sharpness, line_strength))
    poster = np.rint(quantize(np.arange(256, dtype=np.float32), levels)).astype(np.uint16)
    flat = cv2.LUT(smooth, poster)
    # At most 255 * 256: exact in uint16. Dividing by 256 is exact in float,
    # then rounds half-to-even, in OpenCV's vector and scalar code alike.
    np.multiply(flat, shade, out=flat)
    return keep_alpha(cv2.convertScaleAbs(flat, alpha=1.0 / 256.0), img)
