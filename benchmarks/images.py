"""Synthetic, natural-looking pictures: smooth gradients, a few flat shapes
with hard edges, mild noise. Pure noise would be unfair to both the DoG
filter (all edges) and PNG (incompressible)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def synthetic(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / np.float32(size)
    phase = rng.uniform(0, 2 * np.pi, 3).astype(np.float32)
    img = np.stack([
        255 * xx * 0.8 + 30,                                             # horizontal ramp
        127 + 100 * np.sin(2 * np.pi * (1.5 * yy + 0.5 * xx) + phase[0]),  # slow waves
        255 * np.hypot(xx - 0.5, yy - 0.5) * 1.2,                        # radial falloff
    ], axis=2)
    for _ in range(12):  # flat discs and rectangles: the edges a cartoon filter inks
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        cx, cy, r = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.03, 0.15)
        if rng.random() < 0.5:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        else:
            mask = (abs(xx - cx) < r) & (abs(yy - cy) < r * 0.6)
        img[mask] = colour
    img += rng.normal(0, 4, img.shape).astype(np.float32)  # sensor-like noise
    return np.clip(img, 0, 255).astype(np.uint8)


def png_bytes(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="PNG")
    return out.getvalue()
