"""The float32 `dog` effect as it was before the 8-bit kernels (engine/effects
at commit 6c54af9), kept verbatim for the "before" side of the end-to-end
figures: the same decode and encode around the old effect's function.

Not used by the engine.
"""

from __future__ import annotations

import math

import numpy as np

LUMA_R = np.float32(0.299)
LUMA_G = np.float32(0.587)
LUMA_B = np.float32(0.114)
_BOX_PASSES = 3


def split_alpha(img: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Split a frame into float32 RGB (0..255, HxWx3) and its uint8 alpha (HxWx1) or None."""
    rgb = img[:, :, :3].astype(np.float32)
    alpha = img[:, :, 3:4] if img.shape[2] == 4 else None
    return rgb, alpha


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """Round half-to-even and clip to 0..255 as uint8."""
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def join_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Turn float RGB back into a uint8 frame, re-attaching the untouched alpha."""
    out = to_uint8(rgb)
    if alpha is None:
        return out
    return np.concatenate([out, alpha], axis=2)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """HxW float32 luma of an HxWx3 float array (same scale as the input)."""
    # Explicit multiply-adds rather than a dot product: BLAS may reorder sums.
    r = rgb[:, :, 0].astype(np.float32, copy=False)
    g = rgb[:, :, 1].astype(np.float32, copy=False)
    b = rgb[:, :, 2].astype(np.float32, copy=False)
    return r * LUMA_R + g * LUMA_G + b * LUMA_B


def _box_params(sigma: float, passes: int) -> tuple[int, float]:
    """Radius r and end weight a of an "extended box" whose variance is sigma**2 / passes.

    A plain box only reaches the variances of odd integer widths, so sigma
    would move in visible steps (and a DoG of two close sigmas could vanish).
    The extended box (Gwosdek et al., 2011) adds weight a in [0, 1) at
    offsets +-(r+1), which makes the variance continuous in sigma.
    """
    var = sigma * sigma / passes
    r = int(math.floor((math.sqrt(1.0 + 12.0 * var) - 1.0) / 2.0))
    # Guard the float floor against landing one off at exact boundaries.
    while r * (r + 1) > 3.0 * var:
        r -= 1
    while (r + 1) * (r + 2) <= 3.0 * var:
        r += 1
    a = (2 * r + 1) * (var - r * (r + 1) / 3.0) / (2.0 * ((r + 1) ** 2 - var))
    return r, a


def _along(arr: np.ndarray, axis: int, start: int, length: int) -> np.ndarray:
    index = [slice(None)] * arr.ndim
    index[axis] = slice(start, start + length)
    return arr[tuple(index)]


def _box_pass(arr: np.ndarray, r: int, a: float, axis: int) -> np.ndarray:
    """One extended-box pass along axis with edge padding.

    The window sum of width 2r+1 is built by doubling (sums of 1, 2, 4, ...
    neighbours) and adding the pieces named by the binary digits of the
    width, so a pass costs O(log r) whole-array adds, not O(r). For the
    sigmas allowed here (<= 50) that is at most seven doublings. This beats
    a cumulative sum: numpy's cumsum is a serial dependency chain (and slow
    along axis 0), and a float32 running sum over a long row loses precision,
    while these partial sums stay small and float32-exact enough.
    """
    n = arr.shape[axis]
    pad = r + 1
    widths = [(0, 0)] * arr.ndim
    widths[axis] = (pad, pad)
    padded = np.pad(arr, widths, mode="edge")
    total: np.ndarray | None = None
    start = 1  # first padded index of the window around output 0 (= pad - r)
    partial, span, remaining = padded, 1, 2 * r + 1
    while True:
        if remaining & 1:
            piece = _along(partial, axis, start, n)
            if total is None:
                total = piece.copy()
            else:
                total += piece
            start += span
        remaining >>= 1
        if not remaining:
            break
        length = partial.shape[axis] - span
        partial = _along(partial, axis, 0, length) + _along(partial, axis, span, length)
        span *= 2
    assert total is not None
    width = np.float32(2 * r + 1 + 2 * a)
    if a > 0.0:
        ends = _along(padded, axis, 0, n) + _along(padded, axis, 2 * r + 2, n)
        ends *= np.float32(a)
        total += ends
    total *= np.float32(1.0) / width
    return total


def gaussian_blur(arr: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the first two axes (HxW or HxWxC), float32 out.

    Three extended-box passes per axis approximate the gaussian with the exact
    variance sigma**2. Borders repeat the edge pixel, which keeps flat regions
    flat up to the frame edge.
    """
    out = np.asarray(arr, dtype=np.float32)
    if sigma <= 0:
        return out.copy()
    r, a = _box_params(float(sigma), _BOX_PASSES)
    for axis in (0, 1):
        for _ in range(_BOX_PASSES):
            out = _box_pass(out, r, a, axis)
    return out


def quantize(rgb: np.ndarray, levels: int) -> np.ndarray:
    """Snap 0..255 floats to `levels` evenly spaced values (0 and 255 included)."""
    steps = levels - 1
    q = np.rint(rgb * np.float32(steps / 255.0))
    return q * np.float32(255.0 / steps)


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
