"""LAYER: an overlay placed on a base at (x, y), scaled, with an opacity.

Frame by frame on the shared timeline (the base's, unless it is a still and
the overlay moves). x and y are fractions of the base's width and height;
the overlay's own alpha was flattened on arrival, so opacity is the one
control of transparency.
"""

import numpy as np

from ._values import Clip, zip_frames
from .resize import resize_frame


def place(base: np.ndarray, overlay: np.ndarray, x: float, y: float, scale: float,
          opacity: float) -> np.ndarray:
    h, w = overlay.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size != (w, h):
        overlay = resize_frame(overlay, size[0], size[1], "stretch")
    out = base.copy()
    top, left = round(y * base.shape[0]), round(x * base.shape[1])
    # Clip the overlay to the base: it may hang over any edge.
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + size[1], base.shape[0]), min(left + size[0], base.shape[1])
    if y1 <= y0 or x1 <= x0:
        return out
    part = overlay[y0 - top:y1 - top, x0 - left:x1 - left].astype(np.float32)
    under = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.round(under + (part - under) * np.float32(opacity)).astype(np.uint8)
    return out


def run(config: dict, inputs: dict[str, Clip], ctx) -> Clip:
    base, overlay = inputs["base"], inputs["overlay"]
    x, y, scale, opacity = config["x"], config["y"], config["scale"], config["opacity"]
    return zip_frames([base, overlay], lambda pair: place(pair[0], pair[1], x, y, scale, opacity),
                      size=base.size)
