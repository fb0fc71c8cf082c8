"""Geometric effects. Alpha is transformed together with the colour."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from engine.effects import Param, register
from engine.effects._common import MAX_SIDE, RESAMPLE, resample_frame
from engine.errors import InvalidParams


def _check_resize(params: dict[str, Any]) -> None:
    if params["width"] == 0 and params["height"] == 0:
        raise InvalidParams(
            "effect 'resize' needs a width or a height "
            "(0 means: follow the aspect ratio of the other)"
        )


@register(
    "resize",
    Param("width", "int", 0, 0, MAX_SIDE, help="target width; 0 follows the aspect ratio"),
    Param("height", "int", 0, 0, MAX_SIDE, help="target height; 0 follows the aspect ratio"),
    Param("resample", "choice", "lanczos", choices=tuple(RESAMPLE), help="interpolation filter"),
    description="Scales the image to a width and/or height.",
    check=_check_resize,
)
def resize(img: np.ndarray, width: int, height: int, resample: str) -> np.ndarray:
    _check_resize({"width": width, "height": height})
    h, w = img.shape[:2]
    # Python's round() is half-to-even and exact on these small integers' ratios.
    if width == 0:
        width = max(1, round(w * height / h))
    if height == 0:
        height = max(1, round(h * width / w))
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InvalidParams(
            f"effect 'resize' would produce {width}x{height}; each side must be at most {MAX_SIDE}"
        )
    return resample_frame(img, width, height, resample)


@register(
    "rotate",
    Param("degrees", "choice", 90, choices=(90, 180, 270), help="counter-clockwise rotation"),
    description="Rotates counter-clockwise by a multiple of 90 degrees (lossless).",
)
def rotate(img: np.ndarray, degrees: int) -> np.ndarray:
    # Pillow's transpose is the same lossless pixel shuffle as np.rot90 (both
    # counter-clockwise), done in one cache-friendly C pass instead of numpy's
    # strided copy (about three times faster at 2048x2048).
    return _transpose(img, _TURNS[degrees])


@register(
    "flip",
    Param(
        "axis", "choice", "horizontal", choices=("horizontal", "vertical"),
        help="horizontal mirrors left-right, vertical turns upside-down",
    ),
    description="Mirrors the image.",
)
def flip(img: np.ndarray, axis: str) -> np.ndarray:
    return _transpose(img, Image.Transpose.FLIP_LEFT_RIGHT if axis == "horizontal"
                      else Image.Transpose.FLIP_TOP_BOTTOM)


_TURNS = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
          270: Image.Transpose.ROTATE_270}


def _transpose(img: np.ndarray, how: Image.Transpose) -> np.ndarray:
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).transpose(how))


def _block_sums(arr: np.ndarray, block: int) -> np.ndarray:
    """Exact integer sums over block x block tiles; ragged edge tiles are zero-padded."""
    h, w, c = arr.shape
    nh, nw = -(-h // block), -(-w // block)
    if (nh * block, nw * block) != (h, w):
        padded = np.zeros((nh * block, nw * block, c), dtype=arr.dtype)
        padded[:h, :w] = arr
    else:
        padded = arr
    # 8-bit values: a 512x512 tile sums to at most 66.8 million, which uint32
    # holds exactly (and adds faster than int64); wider inputs get int64.
    acc = np.uint32 if arr.dtype == np.uint8 else np.int64
    # Rows of each tile first (contiguous), then the columns of the result.
    rows = padded.reshape(nh, block, nw * block, c).sum(axis=1, dtype=acc)
    return rows.reshape(nh, nw, block, c).sum(axis=2, dtype=np.int64)


@register(
    "pixelate",
    Param("block", "int", 8, 1, 512, help="side of the square blocks in pixels"),
    description="Mosaic: each block x block square becomes its average colour.",
)
def pixelate(img: np.ndarray, block: int) -> np.ndarray:
    h, w, channels = img.shape
    if block == 1:
        return img.copy()
    # Integer sums are exact, so the means do not depend on summation order;
    # edge blocks are averaged over the pixels they really contain.
    rows = np.minimum(block, h - np.arange(0, h, block))
    cols = np.minimum(block, w - np.arange(0, w, block))
    counts = (rows[:, None] * cols[None, :]).astype(np.float64)[:, :, None]
    rgb_sum = _block_sums(img[:, :, :3], block)
    means = rgb_sum / counts
    if channels == 4:
        alpha = img[:, :, 3:4]
        alpha_sum = _block_sums(alpha, block)
        # Weight colour by alpha so invisible pixels do not tint the block.
        weighted = _block_sums(img[:, :, :3].astype(np.uint16) * alpha, block)
        visible = alpha_sum > 0
        means = np.where(visible, weighted / np.maximum(alpha_sum, 1), means)
        means = np.concatenate([means, alpha_sum / counts], axis=2)
    tiles = np.clip(np.rint(means), 0, 255).astype(np.uint8)
    nh, nw, c = tiles.shape
    # One copy out of a broadcast view, instead of two np.repeat passes.
    expanded = np.broadcast_to(tiles[:, None, :, None, :], (nh, block, nw, block, c))
    return np.ascontiguousarray(expanded.reshape(nh * block, nw * block, c)[:h, :w])
