"""Reading and writing the values of engine/dag/ops/_values.py as files.

Both directions stream. ``read`` returns a lazy value whose facts (size,
duration, frame count) come from the file's header, checked against the
limits before any picture is decoded; pictures are decoded when an op asks
for them, one frame at a time. ``write`` pulls the value's frames and sound
through the encoders into a new file, so nothing holds a clip whole.

Images go through engine.media (Pillow); video and sound through PyAV,
whose wheels carry the FFmpeg libraries (engine/dag/ops/_decode.py, _encode.py).

Intermediates (a step's value) are lossless: PNG for stills, Matroska with
FFV1 pictures, FLAC sound and millisecond timestamps for moving pictures,
WAV for sound alone. Deliveries (a recipe's output) are what people open: the
input's own image format for stills and animations, MP4 (H.264 + AAC) with
the input's frame times for video, WAV for sound alone. Every encoder runs
with fixed settings, one thread and FFmpeg's bitexact flag, so the same value
gives the same bytes (and so the same content hash).
"""

from __future__ import annotations

import json
import os
import tempfile
import wave
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from engine import media
from engine.canonical import canonical_bytes
from engine.errors import DecodeError, TooLarge
from engine.limits import Limits

from . import _decode, _encode
from ._values import DATA_MEDIA_TYPE, EPSILON, LIST_MEDIA_TYPE, Audio, Clip, Frame, Items, rgb

SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp",
            "image/gif": ".gif", "image/tiff": ".tif", "image/bmp": ".bmp",
            "video/mp4": ".mp4", "video/x-matroska": ".mkv", "audio/wav": ".wav",
            LIST_MEDIA_TYPE: ".json", DATA_MEDIA_TYPE: ".json"}


# --- reading ------------------------------------------------------------------

def read(path: str | Path, *, media_type: str, limits: Limits) -> Clip | Audio | dict | Items:
    """The value a stored file holds: a lazy Clip or Audio, a dict, or Items.
    Raises DecodeError for a file it cannot read, TooLarge (from the header,
    before decoding) for one over the limits."""
    path = Path(path)
    if media_type in (LIST_MEDIA_TYPE, DATA_MEDIA_TYPE):
        data = json.loads(path.read_bytes())
        return Items(data["items"]) if media_type == LIST_MEDIA_TYPE else data
    if media_type.startswith(("video/", "audio/")):
        return _decode.read_media(path, limits)
    try:
        info = media.image_info(path)
    except DecodeError:
        if media_type.startswith("image/"):
            raise
        return _decode.read_media(path, limits)  # not an image: video or sound
    return _read_image(path, info, limits)


def read_audio(path: str | Path, *, limits: Limits) -> Audio:
    """The sound of any file that has some, streamed; pictures are never
    decoded. DecodeError "the file has no sound" for a file without."""
    try:
        return _decode.read_sound(Path(path), limits)
    except DecodeError as exc:
        if "no sound" in str(exc):
            raise
        raise DecodeError("the file has no sound") from exc


def _read_image(path: Path, info: media.ImageInfo, limits: Limits) -> Clip:
    pixels = info.width * info.height
    if pixels > limits.max_frame_pixels:
        raise TooLarge(f"a picture of {info.width}x{info.height} is over the limit of "
                       f"{limits.max_frame_pixels:,} pixels per frame")
    if info.frames == 1:
        return _still(path, info)
    if pixels * info.frames > limits.max_animation_pixels:
        raise TooLarge(f"{info.frames} frames of {info.width}x{info.height} are over the limit "
                       f"of {limits.max_animation_pixels:,} pixels for an animation")
    durations = [ms / 1000 for ms in media.image_durations(path)]
    total = float(sum(durations))
    if total > limits.max_seconds:
        raise TooLarge(f"the animation lasts {total:,.1f} s, over the limit of "
                       f"{limits.max_seconds:g} s")
    starts = np.cumsum([0.0, *durations])[:-1].tolist()

    def opener(start: float) -> Iterator[Frame]:
        for image, at, seconds in zip(media.image_frames(path), starts, durations):
            if at + seconds > start + EPSILON:
                yield Frame(rgb(image), at, seconds)

    fps = Fraction(info.frames / total).limit_denominator(1001)
    return Clip(info.width, info.height, total, info.frames, opener, fps, None,
                info.format, info.loop)


def _still(path: Path, info: media.ImageInfo) -> Clip:
    held: list[np.ndarray] = []  # one picture, decoded the first time it is asked for

    def opener(start: float) -> Iterator[Frame]:
        if not held:
            held.append(rgb(next(media.image_frames(path))))
        yield Frame(held[0], 0.0, 0.0)

    return Clip(info.width, info.height, 0.0, 1, opener, Fraction(25), None,
                info.kept_format or info.format, None)


# --- writing ------------------------------------------------------------------

def write(value: Clip | Audio | dict | Items, *, deliver: bool,
          directory: str | Path | None = None) -> tuple[Path, str]:
    """Stream ``value`` into a new file in ``directory`` (the system's temp
    dir by default) and return (its path, its media type). The caller owns
    the file. On any error the half-written file is removed."""
    kind = _kind(value, deliver)
    handle, name = tempfile.mkstemp(suffix=kind[1], dir=directory)
    os.close(handle)
    try:
        media_type = _write(value, name, kind[0], deliver)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), media_type


def _kind(value, deliver: bool) -> tuple[str, str]:
    """What a value is written as, and the file's suffix."""
    if isinstance(value, Items):
        return "list", ".json"
    if isinstance(value, dict):
        return "data", ".json"
    if isinstance(value, Audio):
        return "sound", ".wav"
    if not isinstance(value, Clip):
        raise TypeError(f"cannot store a {type(value).__name__}")
    if value.still:
        fmt = (value.format or "PNG") if deliver else "PNG"
        return "still", SUFFIXES[media.FORMATS.get(fmt, "image/png")]
    # An animation file's encoder holds every frame until it writes (see
    # _write_animation): a clip whose facts are over that budget goes out as
    # video instead.
    budget = value.count * value.pixels <= Limits().max_animation_pixels
    if deliver and value.format in media.ANIMATED and value.audio is None and budget:
        return "animation", SUFFIXES[media.FORMATS[value.format]]
    return "moving", ".mp4" if deliver else ".mkv"


def _write(value, name: str, kind: str, deliver: bool) -> str:
    if kind in ("list", "data"):
        data = {"items": value.ids} if kind == "list" else value
        Path(name).write_bytes(canonical_bytes(data))
        return LIST_MEDIA_TYPE if kind == "list" else DATA_MEDIA_TYPE
    if kind == "sound":
        return _write_wav(value, name)
    if kind == "still":
        return _write_still(value, name, deliver)
    if kind == "animation":
        return _write_animation(value, name)
    return _encode.write_moving(value, name, deliver=deliver)


def _write_wav(audio: Audio, name: str) -> str:
    # Chunk by chunk: the wave module writes the header's sizes on close.
    with wave.open(name, "wb") as out:
        out.setnchannels(audio.channels)
        out.setsampwidth(2)
        out.setframerate(audio.rate)
        for chunk in audio.chunks():
            pcm = np.clip(np.round(chunk * 32767), -32768, 32767).astype("<i2")
            out.writeframes(pcm.tobytes())
    return "audio/wav"


def _write_still(clip: Clip, name: str, deliver: bool) -> str:
    fmt = (clip.format or "PNG") if deliver else "PNG"
    fmt = fmt if fmt in media.FORMATS else "PNG"
    # A step's PNG remembers the format the still came in, so the recipe's
    # output is delivered in it.
    kept = clip.format if not deliver and clip.format not in (None, "PNG") else None
    media.save(name, media.Media(fmt, [clip.first()]), fmt, kept_format=kept)
    return media.FORMATS[fmt]


def _write_animation(clip: Clip, name: str) -> str:
    # Image encoders take every frame before writing any (a GIF's palette,
    # an APNG's frame differences): the frames are held here, bounded like
    # an animation file on the way in.
    limit = Limits().max_animation_pixels
    frames, durations, pixels = [], [], 0
    for frame in clip.frames(0.0):
        pixels += frame.image.shape[0] * frame.image.shape[1]
        if pixels > limit:
            raise TooLarge(f"an animation over {limit:,} pixels (all frames together) "
                           f"cannot be written as {clip.format}")
        frames.append(frame.image)
        durations.append(max(1, int(round(frame.duration * 1000))))
    media.save(name, media.Media(clip.format, frames, durations, clip.loop), clip.format)
    return media.FORMATS[clip.format]
