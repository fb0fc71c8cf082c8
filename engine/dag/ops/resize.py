"""RESIZE: fit inside, fill and crop, stretch, or pad to a size (Pillow, Lanczos)."""

import numpy as np
from PIL import Image

from ._values import Clip


def resize_frame(frame: np.ndarray, width: int, height: int, mode: str) -> np.ndarray:
    h, w = frame.shape[:2]
    image = Image.fromarray(frame)
    if mode == "stretch":
        return np.asarray(image.resize((width, height), Image.LANCZOS))
    scale = (min if mode in ("fit", "pad") else max)(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    scaled = np.asarray(image.resize(size, Image.LANCZOS))
    if mode == "fit":
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
    frames = [resize_frame(f, config["width"], config["height"], config["mode"])
              for f in clip.frames]
    return Clip(frames, list(clip.durations), clip.audio)
