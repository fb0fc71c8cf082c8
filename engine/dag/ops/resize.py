"""RESIZE: fit inside, fill and crop, stretch, or pad to a size (Pillow, Lanczos),
frame by frame."""

import numpy as np
from PIL import Image

from ._values import Clip, map_frames


def scaled_size(w: int, h: int, width: int, height: int, mode: str) -> tuple[int, int]:
    """The size the picture is scaled to before any crop or padding."""
    if mode == "stretch":
        return width, height
    scale = (min if mode in ("fit", "pad") else max)(width / w, height / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def output_size(w: int, h: int, width: int, height: int, mode: str) -> tuple[int, int]:
    return scaled_size(w, h, width, height, mode) if mode == "fit" else (width, height)


def resize_frame(frame: np.ndarray, width: int, height: int, mode: str) -> np.ndarray:
    h, w = frame.shape[:2]
    image = Image.fromarray(frame)
    size = scaled_size(w, h, width, height, mode)
    scaled = np.asarray(image.resize(size, Image.LANCZOS))
    if mode in ("fit", "stretch"):
        return scaled
    if mode == "fill":  # crop the overflow, centred
        top, left = (size[1] - height) // 2, (size[0] - width) // 2
        return np.ascontiguousarray(scaled[top:top + height, left:left + width])
    canvas = np.zeros((height, width, 3), np.uint8)  # pad: letterbox on black
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = scaled
    return canvas


def run(config: dict, inputs: list[Clip], ctx) -> Clip:
    clip = inputs[0]
    width, height, mode = config["width"], config["height"], config["mode"]
    return map_frames(clip, lambda frame: resize_frame(frame, width, height, mode),
                      size=output_size(clip.width, clip.height, width, height, mode))
