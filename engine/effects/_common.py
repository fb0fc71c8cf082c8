"""Numpy helpers shared by the effects.

Every effect's content hash includes this file's source, so a change here
invalidates every cached render made with the old code.

Determinism across machines: the float helpers use only elementwise +, -,
*, / and sqrt in a fixed order (IEEE correctly rounded, so bit-identical on
any CPU). They avoid BLAS (np.dot, tensordot), float reductions whose
summation order numpy may choose (np.mean, np.sum) and transcendental
ufuncs (exp, tanh) whose SIMD variants may differ in the last bit between
CPUs. Pillow's 8-bit resampling uses fixed-point kernels.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

# Rec. 601 luma weights: the usual choice for 8-bit sRGB stills and video.
LUMA_R = np.float32(0.299)
LUMA_G = np.float32(0.587)
LUMA_B = np.float32(0.114)

# Three box passes approximate a gaussian closely (the variance is exact, the
# shape within a few percent); more passes cost time without a visible change.
_BOX_PASSES = 3

# Largest output side any effect may produce (guards memory, e.g. resize or hstack).
MAX_SIDE = 16384


def check_frame(img: np.ndarray) -> None:
    """Raise ValueError unless img is a uint8 HxWx3 or HxWx4 array."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"a frame must be a numpy array, not {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(
            f"a frame must be a uint8 HxWx3 or HxWx4 array, got {img.dtype} {img.shape}"
        )
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"a frame must have at least one pixel, got {img.shape}")


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


def join_gray(values: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """An HxW float array as a grey uint8 frame (three equal channels), with
    the untouched alpha. Rounds once per pixel, then copies the byte into the
    channels: the same result as rounding three float copies, a third the work."""
    gray = to_uint8(values)
    planes = [gray] * 3 + ([alpha[:, :, 0]] if alpha is not None else [])
    return np.stack(planes, axis=2)


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


def per_value(img: np.ndarray, fn) -> np.ndarray:
    """Apply a function of each colour value alone (brightness, contrast,
    posterize) through a 256-entry table, alpha untouched.

    Bit-identical to ``join_alpha(fn(rgb), alpha)``: fn sees the same float32
    values (0..255), so the table holds exactly what each pixel would have
    become. One table lookup per byte in Pillow's C loop replaces several
    whole-image float passes.
    """
    table = to_uint8(fn(np.arange(256, dtype=np.float32))).tolist()
    lut = table * 3 + (list(range(256)) if img.shape[2] == 4 else [])
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).point(lut))


def quantize(rgb: np.ndarray, levels: int) -> np.ndarray:
    """Snap 0..255 floats to `levels` evenly spaced values (0 and 255 included)."""
    steps = levels - 1
    q = np.rint(rgb * np.float32(steps / 255.0))
    return q * np.float32(255.0 / steps)


RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def resample_frame(img: np.ndarray, width: int, height: int, resample: str) -> np.ndarray:
    """Resize with Pillow, which is deterministic for 8-bit images (fixed-point kernels).

    For RGBA, Pillow resamples premultiplied colour, so transparent pixels do
    not bleed their (invisible) colour into visible neighbours.
    """
    if img.shape[0] == height and img.shape[1] == width:
        return img.copy()
    resized = Image.fromarray(np.ascontiguousarray(img)).resize((width, height), RESAMPLE[resample])
    return np.array(resized, dtype=np.uint8)
