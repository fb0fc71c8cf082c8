"""Decoding and encoding images with Pillow: stills, animations, multi-page TIFF.

Frames are numpy uint8 arrays, HxWx3 (RGB) or HxWx4 (RGBA). Animated GIF,
WebP and PNG keep every frame and its duration; a multi-page TIFF's pages
are its frames. Video and sound are engine/dag/ops/avio.py's (PyAV).

Two ways in: ``image_info`` + ``image_frames`` read a header, then the frames
one at a time (the engine's readers, which check engine.limits.Limits from
the header); ``decode`` / ``header`` / ``probe`` check a total pixel budget
and hold every frame (the cache's checks on arrival, small images).

Limits are checked from the header before any pixel is decoded, so a
decompression bomb (huge dimensions, or thousands of frames) costs nothing.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageFile, ImageOps, ImageSequence, PngImagePlugin

from .errors import DecodeError, TooLarge

# Truncated files must fail loudly instead of decoding as grey padding.
ImageFile.LOAD_TRUNCATED_IMAGES = False
# We enforce our own limit (pixels x frames) before decoding; Pillow's own
# guard stays as a second line of defence for formats it checks itself.
Image.MAX_IMAGE_PIXELS = None

# What Pillow raises on damaged image data; IndexError comes from a GIF cut
# inside a frame header.
BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError)

FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
}
FORMAT_NAMES = {name.lower(): name for name in FORMATS}
# Cameras write JPEGs with a second, smaller picture appended (a multi-picture
# file); Pillow names those MPO. The first picture is the photograph.
ALIASES = {"MPO": "JPEG"}
SUPPORTED = "PNG, JPEG, WebP, GIF, TIFF or BMP"
DEFAULT_DURATION_MS = 100  # a frame without a duration (TIFF pages, some GIFs)
ANIMATED = ("GIF", "WEBP", "PNG", "TIFF")  # formats that hold several frames
EXIF_ORIENTATION = 0x0112
KEPT_FORMAT = "artdag-format"  # PNG text key: the format a still came in (intermediates)


@dataclass(frozen=True)
class MediaInfo:
    format: str
    media_type: str
    width: int
    height: int
    frames: int


@dataclass(frozen=True)
class ImageInfo:
    """An image file's header: enough to check limits and plan, no pixels."""

    format: str                # one of FORMATS
    media_type: str
    width: int                 # as shown: after the EXIF orientation
    height: int
    frames: int                # 1 for a still; pages of a TIFF, frames of an animation
    loop: int | None = None    # an animation's loop count (0: forever; None: play once)
    orientation: int = 1       # EXIF orientation (1: as stored)
    kept_format: str | None = None  # a step's PNG of a still that came in another format


@dataclass
class Media:
    """An image held whole: small stills and bounded animations only."""

    format: str
    frames: list[np.ndarray]
    durations: list[int] = field(default_factory=list)
    loop: int | None = None

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1


def _open(source: Path | bytes, max_pixels: int | None = None) -> tuple[Image.Image, MediaInfo]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(f"image is over the pixel limit: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DecodeError(f"not an image in a supported format ({SUPPORTED})") from exc
    fmt = ALIASES.get(image.format, image.format)
    if fmt not in FORMATS:
        image.close()
        raise DecodeError(f"{image.format or 'unknown'} images are not supported; use {SUPPORTED}")
    width, height = image.size
    frames = _frame_count(image, fmt)
    if width < 1 or height < 1:
        image.close()
        raise DecodeError("image has no pixels")
    info = MediaInfo(fmt, FORMATS[fmt], width, height, frames)
    if max_pixels is not None and width * height * frames > max_pixels:
        image.close()
        raise TooLarge(
            f"{width}x{height} pixels x {frames} frame(s) is over the limit of {max_pixels} pixels",
            info)
    return image, info


def _frame_count(image: Image.Image, fmt: str) -> int:
    if fmt not in ANIMATED:
        return 1  # a JPEG's appended preview (MPO) is not a frame
    try:
        return int(getattr(image, "n_frames", 1))
    except BROKEN as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc


def _frames(image: Image.Image, count: int) -> Iterator[Image.Image]:
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= count:
            return
        yield frame


def header(source: Path | bytes, *, max_pixels: int) -> MediaInfo:
    """Format, size and frame count from the header alone: for files whose
    pixels are known good (the engine's own output), where probe's full
    decode would only repeat work."""
    image, info = _open(source, max_pixels)
    image.close()
    return info


def image_info(path: Path | bytes) -> ImageInfo:
    """The header of an image file, with no pixel decoded (no limit checked:
    the caller compares these facts with its own limits)."""
    image, info = _open(path)
    try:
        orientation = _orientation(image)
        width, height = info.width, info.height
        if orientation in (5, 6, 7, 8):  # turned a quarter: the sides swap
            width, height = height, width
        loop = image.info.get("loop") if info.frames > 1 else None
        kept = image.info.get(KEPT_FORMAT) if info.format == "PNG" else None
        return ImageInfo(info.format, info.media_type, width, height, info.frames,
                         None if loop is None else int(loop), orientation,
                         kept if kept in FORMATS else None)
    finally:
        image.close()


def _orientation(image: Image.Image) -> int:
    if image.format == "PNG" and "exif" not in image.info:
        # Pillow has read any eXIf chunk before the pixels with the header;
        # asking for one after them decodes the whole image, which would
        # make every header read (a render's output indexed, a plan) a decode.
        return 1
    try:
        return int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
    except (OSError, SyntaxError, ValueError, TypeError):
        return 1  # unreadable EXIF: show the pixels as stored


def image_durations(path: Path | bytes) -> list[int]:
    """Every frame's duration in milliseconds. WebP tells a frame's duration
    only once it is decoded, so for WebP this decodes each frame once."""
    image, info = _open(path)
    try:
        durations = []
        for frame in _frames(image, info.frames):
            if info.format == "WEBP":
                frame.load()
            durations.append(int(round(frame.info.get("duration") or DEFAULT_DURATION_MS)))
        return durations
    except BROKEN as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc
    finally:
        image.close()


def image_frames(path: Path | bytes) -> Iterator[np.ndarray]:
    """The frames one at a time, as HxWx3 RGB or HxWx4 RGBA uint8, turned as
    the EXIF orientation says (a phone's upright photo shows upright)."""
    image, info = _open(path)
    try:
        orientation = _orientation(image)
        for frame in _frames(image, info.frames):
            if orientation != 1:
                frame = ImageOps.exif_transpose(frame)
            yield _pixels(frame)
    except BROKEN as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc
    finally:
        image.close()


def _pixels(frame: Image.Image) -> np.ndarray:
    if frame.mode.startswith("I;16"):
        # 16-bit greyscale (scans, PNG and TIFF from editors): keep the high byte,
        # where convert("RGB") would clip everything over 255 to white.
        grey = (np.asarray(frame).astype(np.uint16) >> 8).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if frame.mode == "RGB":
        return np.asarray(frame)
    return _frame_array(frame, _has_alpha(frame))


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
        for frame in _frames(image, info.frames):
            frames.append(_frame_array(frame, with_alpha or _has_alpha(frame)))
            durations.append(int(frame.info.get("duration") or DEFAULT_DURATION_MS))
        loop = image.info.get("loop")
    except BROKEN as exc:
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
        for frame in _frames(image, info.frames):
            frame.load()
    except BROKEN as exc:
        raise DecodeError(f"image data is truncated or corrupt ({exc})") from exc
    finally:
        image.close()
    return info


# Fixed settings and no metadata, so equal pixels give equal bytes.
OPTIONS = {
    "PNG": {"compress_level": 6},
    "JPEG": {"quality": 92, "subsampling": 0, "optimize": False},
    "WEBP": {"quality": 90, "method": 4},
    "TIFF": {"compression": "tiff_lzw"},
    "GIF": {},
    "BMP": {},
}


def encode(media: Media, fmt: str | None = None) -> bytes:
    """Encode with fixed settings and no metadata, so equal pixels give equal bytes."""
    out = io.BytesIO()
    save(out, media, fmt)
    return out.getvalue()


def save(target, media: Media, fmt: str | None = None, *,
         kept_format: str | None = None) -> None:
    """``encode`` into a path or a binary file. ``kept_format`` (PNG only) is
    written as a text chunk: the engine's own intermediates note the format a
    still came in, so its recipe's output is delivered in that format."""
    fmt = (fmt or media.format).upper()
    if fmt not in FORMATS:
        raise DecodeError(f"cannot encode {fmt}")
    frames = media.frames
    if fmt not in ANIMATED:
        frames = frames[:1]  # JPEG and BMP hold a single picture
    if fmt in ("JPEG", "BMP"):
        frames = [f[:, :, :3] if f.shape[2] == 4 else f for f in frames]
    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    options: dict = dict(OPTIONS[fmt])
    if kept_format and fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text(KEPT_FORMAT, kept_format)
        options["pnginfo"] = text
    if len(images) > 1:
        options.update(save_all=True, append_images=images[1:])
        if fmt != "TIFF":  # a TIFF's pages have no timing
            options["duration"] = media.durations or [DEFAULT_DURATION_MS] * len(images)
            options["loop"] = media.loop if media.loop is not None else 0
        if fmt == "GIF":
            options["disposal"] = 2
            if media.loop is None:
                del options["loop"]  # no loop block: the GIF plays once, as it came
    images[0].save(target, format=fmt, **options)
