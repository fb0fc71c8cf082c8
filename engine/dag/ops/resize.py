"""RESIZE: fit inside, fill and crop, stretch, or pad to a size (Pillow, Lanczos),
frame by frame.

RESIZE and SEQUENCE shrink in two steps (Pillow's ``reducing_gap``): a
picture shrunk 1.5 times or more is first reduced by a whole factor, a box
average over blocks of pixels, and Lanczos does the rest over at least 1.5
times. A 1080p frame to 640x360 takes 8 ms instead of 18. The result looks
the same: over the benchmark's camera-like clips it is 0.2 of a level from
plain Lanczos on average, over a picture with a photograph's spectrum about
one level (switching Lanczos for bicubic differs as much); only detail finer
than the output's pixels shows the box's aliasing. Both steps are Pillow's
integer code, so the bytes are the same on every CPU.
"""

import numpy as np
from PIL import Image

from ._values import Clip, map_frames

# The least shrink Lanczos is left with after the box reduction. 1.5 is the
# largest gap that reduces a 3x shrink (1920 -> 640) at all: Pillow reduces
# by int(shrink / gap), and only when that is 2 or more.
REDUCING_GAP = 1.5


def scaled_size(w: int, h: int, width: int, height: int, mode: str) -> tuple[int, int]:
    """The size the picture is scaled to before any crop or padding."""
    if mode == "stretch":
        return width, height
    scale = (min if mode in ("fit", "pad") else max)(width / w, height / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def output_size(w: int, h: int, width: int, height: int, mode: str) -> tuple[int, int]:
    return scaled_size(w, h, width, height, mode) if mode == "fit" else (width, height)


def resize_frame(frame: np.ndarray, width: int, height: int, mode: str, *,
                 reducing_gap: float | None = None) -> np.ndarray:
    """``reducing_gap=None`` is plain Lanczos. LAYER and BLEND keep it: their
    implementation hash covers their own module, not this one, so a change of
    their bytes here would not invalidate the steps they cached."""
    h, w = frame.shape[:2]
    image = Image.fromarray(frame)
    size = scaled_size(w, h, width, height, mode)
    scaled = np.asarray(image.resize(size, Image.LANCZOS, reducing_gap=reducing_gap))
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
    return map_frames(clip, lambda frame: resize_frame(frame, width, height, mode,
                                                       reducing_gap=REDUCING_GAP),
                      size=output_size(clip.width, clip.height, width, height, mode))
