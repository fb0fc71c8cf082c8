"""Small real images made by code for tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def pattern(width: int = 48, height: int = 32, seed: int = 0, alpha: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                     (x + y) * 127 // max(width + height - 2, 1)], axis=2)
    noisy = np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
    if alpha:
        a = np.full((height, width, 1), 255, np.uint8)
        a[: height // 2] = 128
        noisy = np.concatenate([noisy, a], axis=2)
    return noisy


def encode(array: np.ndarray, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format=fmt)
    return out.getvalue()


def png(width: int = 48, height: int = 32, seed: int = 0) -> bytes:
    return encode(pattern(width, height, seed))


def animated_gif(frames: int = 4, width: int = 32, height: int = 24) -> bytes:
    images = [Image.fromarray(pattern(width, height, seed=i)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:],
                   duration=[80 + 10 * i for i in range(frames)], loop=0)
    return out.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header claiming huge dimensions: tiny file, enormous decode."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
