"""Geometric effects. Alpha is transformed together with the colour."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from engine.effects import Param, register
from engine.effects._common import MAX_SIDE, RESAMPLE, contiguous, resample_frame
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


_TURNS = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
          270: cv2.ROTATE_90_CLOCKWISE}


@register(
    "rotate",
    Param("degrees", "choice", 90, choices=(90, 180, 270), help="counter-clockwise rotation"),
    description="Rotates counter-clockwise by a multiple of 90 degrees (lossless).",
)
def rotate(img: np.ndarray, degrees: int) -> np.ndarray:
    # A pixel shuffle (the same bytes as np.rot90), done in cache-sized tiles.
    return cv2.rotate(contiguous(img), _TURNS[degrees])


@register(
    "flip",
    Param(
        "axis", "choice", "horizontal", choices=("horizontal", "vertical"),
        help="horizontal mirrors left-right, vertical turns upside-down",
    ),
    description="Mirrors the image.",
)
def flip(img: np.ndarray, axis: str) -> np.ndarray:
    return cv2.flip(contiguous(img), 1 if axis == "horizontal" else 0)


def _row_sums(arr: np.ndarray, block: int, acc) -> np.ndarray:
    """Sums of each run of ``block`` rows (the last run may be shorter)."""
    h = arr.shape[0]
    full = h // block * block
    # One reduction over a reshaped view: each output row is the sum of
    # block contiguous image rows, added in cache.
    out = arr[:full].reshape((h // block, block) + arr.shape[1:]).sum(axis=1, dtype=acc)
    if full < h:
        out = np.concatenate([out, arr[full:].sum(axis=0, dtype=acc)[None]])
    return out


def _block_sums(arr: np.ndarray, block: int) -> np.ndarray:
    """Exact integer sums over block x block tiles (ragged edge tiles hold fewer pixels).

    Rows first, then the columns of that block-times-smaller result, as rows
    of its transpose (OpenCV's transpose is a cache-blocked copy).
    """
    top = int(np.iinfo(arr.dtype).max)
    # The narrowest accumulators that hold the sums exactly.
    row_acc = np.uint16 if top * block <= 0xFFFF else np.uint32
    acc = np.uint32 if top * block * block <= 0xFFFFFFFF else np.uint64
    rows = _row_sums(arr, block, row_acc)
    channels = arr.shape[2]
    if row_acc is np.uint16 and channels in (1, 3, 4):
        turned = cv2.transpose(np.ascontiguousarray(rows))
        turned = turned.reshape(turned.shape[:2] + (channels,))
        return cv2.transpose(_row_sums(turned, block, acc).astype(np.int32)).reshape(
            (rows.shape[0], -1, channels)).astype(acc)
    return _row_sums(rows.transpose(1, 0, 2), block, acc).transpose(1, 0, 2)


def _expand(tiles: np.ndarray, block: int, height: int, width: int) -> np.ndarray:
    """Each tile as a block x block square, cut to height x width."""
    # Along the rows as whole-row copies of the (small) transpose, then the
    # rows of the result copied block times.
    turned = np.repeat(cv2.transpose(tiles).reshape(tiles.shape[1], tiles.shape[0], -1),
                       block, axis=0)[:width]
    rows = cv2.transpose(turned).reshape(tiles.shape[0], width, -1)
    return np.ascontiguousarray(np.repeat(rows, block, axis=0)[:height])


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
    # edge blocks are averaged over the pixels they really contain, and the
    # float64 division rounds half-to-even exactly (ties are representable).
    rows = np.minimum(block, h - np.arange(0, h, block))
    cols = np.minimum(block, w - np.arange(0, w, block))
    counts = (rows[:, None] * cols[None, :]).astype(np.float64)[:, :, None]
    rgb = img[:, :, :3]
    means = _block_sums(rgb, block) / counts
    if channels == 4:
        alpha = img[:, :, 3:4]
        alpha_sum = _block_sums(alpha, block)
        # Weight colour by alpha so invisible pixels do not tint the block.
        weighted = _block_sums(rgb.astype(np.uint16) * alpha, block)
        visible = alpha_sum > 0
        means = np.where(visible, weighted / np.maximum(alpha_sum, 1), means)
        means = np.concatenate([means, alpha_sum / counts], axis=2)
    tiles = np.clip(np.rint(means), 0, 255).astype(np.uint8)
    return _expand(tiles, block, h, w)
