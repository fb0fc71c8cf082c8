"""BLEND: two pictures combined pixel by pixel, then mixed with the first by opacity.

The second input is resized (fill) to the first's size; frame by frame on the
time of the first (the second's, if the first is a still and the second moves).
"""

import numpy as np

from ._values import Clip, zip_frames
from .resize import resize_frame


def _mode(mode: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # a, b: float32 in [0, 1]
    if mode == "multiply":
        return a * b
    if mode == "screen":
        return 1 - (1 - a) * (1 - b)
    if mode == "overlay":
        return np.where(a < 0.5, 2 * a * b, 1 - 2 * (1 - a) * (1 - b))
    if mode == "add":
        return np.minimum(a + b, 1)
    if mode == "subtract":
        return np.maximum(a - b, 0)
    if mode == "difference":
        return np.abs(a - b)
    if mode == "lighten":
        return np.maximum(a, b)
    if mode == "darken":
        return np.minimum(a, b)
    return (a + b) / 2  # average


def blend_frames(a: np.ndarray, b: np.ndarray, mode: str, opacity: float) -> np.ndarray:
    if b.shape[:2] != a.shape[:2]:
        b = resize_frame(b, a.shape[1], a.shape[0], "fill")
    fa, fb = a.astype(np.float32) / 255, b.astype(np.float32) / 255
    mixed = fa + (_mode(mode, fa, fb) - fa) * np.float32(opacity)
    return np.clip(np.round(mixed * 255), 0, 255).astype(np.uint8)


def run(config: dict, inputs: dict[str, Clip], ctx) -> Clip:
    a, mode, opacity = inputs["a"], config["mode"], config["opacity"]
    return zip_frames([a, inputs["b"]], lambda pair: blend_frames(pair[0], pair[1], mode, opacity),
                      size=a.size)
