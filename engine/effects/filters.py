"""Neighbourhood filters: blur, sharpen, edge detection and the DoG stylization.

Alpha passes through untouched: these change colour, not geometry.
"""

from __future__ import annotations

import math

import numpy as np

from engine.effects import Param, register
from engine.effects._common import (gaussian_blur, join_alpha, join_gray, luminance, quantize,
                                    split_alpha)


@register(
    "blur",
    Param("sigma", "float", 2.0, 0.0, 50.0, help="gaussian standard deviation in pixels"),
    description="Gaussian blur.",
)
def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    return join_alpha(gaussian_blur(rgb, sigma), alpha)


@register(
    "sharpen",
    Param("amount", "float", 1.0, 0.0, 5.0, help="how much of the detail to add back"),
    Param("sigma", "float", 1.0, 0.3, 10.0, help="size in pixels of the detail to boost"),
    description="Unsharp mask: adds back the difference between the image and a blur of it.",
)
def sharpen(img: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    rgb, alpha = split_alpha(img)
    detail = rgb - gaussian_blur(rgb, sigma)
    return join_alpha(rgb + detail * np.float32(amount), alpha)


def _sobel_magnitude(luma: np.ndarray) -> np.ndarray:
    # Separable Sobel on an edge-padded copy, so flat borders give 0, not a frame.
    p = np.pad(luma, 1, mode="edge")
    smooth_v = p[:-2] + np.float32(2) * p[1:-1] + p[2:]
    gx = smooth_v[:, 2:] - smooth_v[:, :-2]
    diff_v = p[2:] - p[:-2]
    gy = diff_v[:, :-2] + np.float32(2) * diff_v[:, 1:-1] + diff_v[:, 2:]
    return np.sqrt(gx * gx + gy * gy)


@register(
    "edge",
    Param("strength", "float", 1.0, 0.0, 10.0, help="gain on the edge magnitude"),
    description="Sobel edge magnitude as a grayscale image: bright on edges, black on flat areas.",
)
def edge(img: np.ndarray, strength: float) -> np.ndarray:
    alpha = img[:, :, 3:4] if img.shape[2] == 4 else None
    # The Sobel kernel weights sum to 4 per side, so /4 maps a full black-to-white
    # step to 255 at strength 1.
    mag = _sobel_magnitude(luminance(img[:, :, :3])) * np.float32(strength / 4.0)
    return join_gray(mag, alpha)


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
    rgb, alpha = split_alpha(img)
    # Blurring the colour first smooths the fills and, since luma is linear,
    # its luma is exactly the narrow blur of the brightness.
    smooth = gaussian_blur(rgb, sigma)
    narrow = luminance(smooth) * np.float32(1.0 / 255.0)
    # Variances add under convolution: blurring the narrow result by this
    # sigma gives the wide blur at a third of the cost of blurring again.
    wide = gaussian_blur(narrow, sigma * math.sqrt(k * k - 1.0))
    response = (narrow - wide + np.float32(threshold)) * np.float32(sharpness)
    np.minimum(response, 0, out=response)
    # Soft step x / sqrt(1 + x^2) instead of tanh: same shape, but built from
    # correctly rounded operations only, so it is bit-identical on every CPU.
    ink = response / np.sqrt(response * response + np.float32(1.0))
    shade = np.float32(1.0) + ink * np.float32(line_strength)
    flat = quantize(smooth, levels)
    return join_alpha(flat * shade[:, :, None], alpha)
