"""Decoding and encoding images: the only place the engine touches file formats.

Frames are numpy uint8 arrays, HxWx3 (RGB) or HxWx4 (RGBA). Animated GIF,
WebP and PNG keep every frame and its duration.

Limits are checked from the header before any pixel is decoded, so a
decompression bomb (huge dimensions, or thousands of frames) costs nothing.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageSequence

from .errors import DecodeError, TooLarge

# Truncated files must fail loudly instead of decoding as grey padding.
ImageFile.LOAD_TRUNCATED_IMAGES = False
# We enforce our own limit (pixels x frames) before decoding; Pillow's own
# guard stays as a second line of defence for formats it checks itself.
Image.MAX_IMAGE_PIXELS = None

FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
FORMAT_NAMES = {name.lower(): name for name in FORMATS}
DEFAULT_DURATION_MS = 100


@dataclass(frozen=True)
class MediaInfo:
    format: str
    media_type: str
    width: int
    height: int
    frames: int


@dataclass
class Media:
    format: str
    frames: list[np.ndarray]
    durations: list[int] = field(default_factory=list)
    loop: int | None = None

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1


def _open(source: Path | bytes, max_pixels: int) -> tuple[Image.Image, MediaInfo]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(f"image is over the pixel limit: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DecodeError("not an image in a supported format (PNG, JPEG, WebP, GIF)") from exc
    if image.format not in FORMATS:
        image.close()
        raise DecodeError(
            f"{image.format or 'unknown'} images are not supported; use PNG, JPEG, WebP or GIF"
        )
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width < 1 or height < 1:
        image.close()
        raise DecodeError("image has no pixels")
    info = MediaInfo(image.format, FORMATS[image.format], width, height, frames)
    if width * height * frames > max_pixels:
        image.close()
        raise TooLarge(
            f"{width}x{height} pixels x {frames} frame(s) is over the limit of {max_pixels} pixels",
            info)
    return image, info


def header(source: Path | bytes, *, max_pixels: int) -> MediaInfo:
    """Format, size and frame count from the header alone: for files whose
    pixels are known good (the engine's own output), where probe's full
    decode would only repeat work."""
    image, info = _open(source, max_pixels)
    image.close()
    return info


def _frame_array(frame: Image.Image, with_alpha: bool) -> np.ndarray:
    return np.asarray(frame.convert("RGBA" if with_alpha else "RGB"))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def decode(source: Path | bytes, *, max_pixels: int) -> Media:
    """Decode every frame. Raises DecodeError or TooLarge with a user-facing message."""
    image, info = _open(source, max_pixels)
    try:
        with_alpha = _has_alpha(image)
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            frames.append(_frame_array(frame, with_alpha or _has_alpha(frame)))
            durations.append(int(frame.info.get("duration") or DEFAULT_DURATION_MS))
        loop = image.info.get("loop")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc
    finally:
        image.close()
    if any(f.shape[2] == 4 for f in frames):
        frames = [_with_alpha(f) for f in frames]
    return Media(format=info.format, frames=frames, durations=durations, loop=loop)


def _with_alpha(frame: np.ndarray) -> np.ndarray:
    if frame.shape[2] == 4:
        return frame
    alpha = np.full(frame.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([frame, alpha], axis=2)


def probe(source: Path | bytes, *, max_pixels: int) -> MediaInfo:
    """Read the header and decode every frame once, so a truncated file is
    caught when it enters the cache rather than halfway through a render."""
    image, info = _open(source, max_pixels)
    try:
        for frame in ImageSequence.Iterator(image):
            frame.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc
    finally:
        image.close()
    return info


def encode(media: Media, fmt: str | None = None) -> bytes:
    """Encode with fixed settings and no metadata, so equal pixels give equal bytes."""
    fmt = (fmt or media.format).upper()
    if fmt not in FORMATS:
        raise DecodeError(f"cannot encode {fmt}")
    frames = media.frames
    if fmt == "JPEG":
        frames = [f[:, :, :3] if f.shape[2] == 4 else f for f in frames]
        frames = frames[:1]  # JPEG holds a single frame
    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    out = io.BytesIO()
    options: dict = {}
    if fmt == "PNG":
        options = {"compress_level": 6}
    elif fmt == "JPEG":
        options = {"quality": 92, "subsampling": 0, "optimize": False}
    elif fmt == "WEBP":
        options = {"quality": 90, "method": 4}
    if len(images) > 1:
        durations = media.durations or [DEFAULT_DURATION_MS] * len(images)
        options.update(save_all=True, append_images=images[1:], duration=durations)
        options["loop"] = media.loop if media.loop is not None else 0
        if fmt == "GIF":
            options["disposal"] = 2
    images[0].save(out, format=fmt, **options)
    return out.getvalue()
