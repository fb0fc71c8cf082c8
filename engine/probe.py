"""What a media file is, read from its bytes: kind, size, length, codecs.

`probe(path)` reads headers only (and, for video, the first frame, since
phones keep their rotation where only a decoded frame shows it); with
`full=True` it also reads the file to its end once, so a truncated upload is
caught when it arrives rather than halfway through a render.

Stills and animations are read with Pillow (the engine's image decoder);
video and sound with PyAV (FFmpeg), restricted to the containers the engine
reads and to local files, so no upload can make FFmpeg follow a playlist or
a reference elsewhere.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, UnidentifiedImageError

from . import media
from .errors import DecodeError, TooLarge

# The formats the server reads, for messages that say what would work.
READABLE = ("images: PNG, JPEG, WebP, GIF, TIFF, BMP; video: MP4, MOV, MKV, WebM, Ogg, AVI, "
            "MPEG-TS; sound: MP3, AAC, FLAC, WAV, Ogg (Vorbis, Opus)")

# FFmpeg demuxers we let open a file (matched against its probed format
# before the demuxer reads anything): the containers in common use, and
# none of the ones that open other files or URLs (hls, concat, image2...).
DEMUXERS = ("mov", "mp4", "matroska", "webm", "ogg", "mp3", "wav", "flac", "aac", "avi",
            "mpegts")
OPEN_OPTIONS = {"format_whitelist": ",".join(DEMUXERS), "protocol_whitelist": "file"}

# EXIF orientation -> clockwise degrees the stored picture is turned to be
# shown upright (5 and 7 also mirror it).
EXIF_ROTATION = {3: 180, 5: 90, 6: 90, 7: 270, 8: 270}

# The last seconds of a video that full=True decodes (see _read_through).
TAIL_SECONDS = 3.0
# A file whose packets end more than SLACK_SECONDS + SLACK_SHARE of its
# header's duration before that duration is cut short: muxers round a
# duration by a packet or two (tens of ms), never by a whole percent of it.
SLACK_SECONDS = 0.1
SLACK_SHARE = 0.01
# Containers whose duration is an estimate (from the bit rate, or the first
# and last timestamps of a broadcast stream), so never evidence of truncation.
ESTIMATED_DURATION = {"mp3", "aac", "mpegts"}


@dataclass(frozen=True)
class MediaFacts:
    """Everything the cache records about a file, and what readers check
    before decoding. Codecs and sound facts are None where there is no such
    stream; width and height are as shown (after rotation)."""

    kind: str                 # "still" | "animation" | "video" | "audio"
    media_type: str           # "image/png", "video/mp4", "audio/flac", ...
    format: str               # image format ("PNG", "TIFF"...) or container ("mp4", "matroska"...)
    width: int | None
    height: int | None
    frames: int | None        # pictures: exact, or duration x fps where a header gives no count
    duration: float           # seconds; 0 for a still
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    rotation: int             # clockwise degrees to show the picture upright: 0/90/180/270
    has_video: bool
    has_audio: bool

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


def probe(path: str | Path, *, full: bool = False,
          max_frame_pixels: int | None = None) -> MediaFacts:
    """The facts of the file at `path`. With `full`, the file is also read
    to its end once (see module docstring). With `max_frame_pixels`, a
    picture over it raises TooLarge (carrying the facts the header gave)
    before any picture is decoded. Raises DecodeError for anything it
    cannot read."""
    path = Path(path)
    image_format = _image_format(path)
    if image_format in media.FORMATS or image_format in media.ALIASES:
        return _probe_image(path, full=full, max_frame_pixels=max_frame_pixels)
    return _probe_av(path, full=full, max_frame_pixels=max_frame_pixels,
                     other_image_format=image_format)


def _check_size(facts: MediaFacts, max_frame_pixels: int | None) -> None:
    if max_frame_pixels is not None and facts.pixels > max_frame_pixels:
        raise TooLarge(f"a {facts.width}x{facts.height} picture is over the limit of "
                       f"{max_frame_pixels} pixels per frame", facts)


# -- stills and animations ---------------------------------------------------
# Read through engine.media, the engine's own image reader, so the facts are
# the ones a render will find (frame counts, EXIF orientation, timing).

IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


def _image_format(path: Path) -> str | None:
    """Pillow's name for the file's image format (the engine may not read
    it: ICO, PPM, PSD...), or None if it is no image Pillow knows: it may be
    video or sound."""
    try:
        with warnings.catch_warnings():
            # Our own limit is checked instead, from the header.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.format or None
    except (UnidentifiedImageError, Image.DecompressionBombError, *IMAGE_ERRORS):
        return None  # including an image header Pillow gave up on: FFmpeg may know it


# What Pillow's readers raise on malformed input besides DecodeError's usual
# causes (a GIF cut inside a frame header raises IndexError while counting
# its frames): a damaged upload is the user's problem to hear about, not a 500.
MALFORMED = (*IMAGE_ERRORS, IndexError, KeyError, TypeError, struct.error)


def _probe_image(path: Path, *, full: bool, max_frame_pixels: int | None) -> MediaFacts:
    try:
        return _image_facts(path, full=full, max_frame_pixels=max_frame_pixels)
    except MALFORMED as exc:
        raise DecodeError(f"the image data is truncated or corrupt ({exc or type(exc).__name__})"
                          ) from exc


def _image_facts(path: Path, *, full: bool, max_frame_pixels: int | None) -> MediaFacts:
    info = media.image_info(path)
    facts = MediaFacts(
        kind="animation" if info.frames > 1 else "still", media_type=info.media_type,
        format=info.format, width=info.width, height=info.height, frames=info.frames,
        duration=0.0, fps=None, video_codec=None, audio_codec=None, sample_rate=None,
        channels=None, rotation=EXIF_ROTATION.get(info.orientation, 0), has_video=True,
        has_audio=False)
    # Before anything below decodes a frame: a bomb must cost nothing.
    _check_size(facts, max_frame_pixels)
    if info.frames > 1:
        total_ms = sum(media.image_durations(path))
        facts = replace(facts, duration=total_ms / 1000, fps=info.frames * 1000 / total_ms)
    if full:
        for _ in media.image_frames(path):  # one frame at a time, as a render reads them
            pass
    return facts


# -- video and sound ---------------------------------------------------------

WEBM_CODECS = {"vp8", "vp9", "av1", "opus", "vorbis"}


def _media_type(container, fmt: str, video, audio) -> tuple[str, str]:
    """(container name, media type) from FFmpeg's demuxer and the streams."""
    codecs = {_codec(s) for s in (video, audio) if s is not None}
    if fmt.startswith("mov,"):
        brand = container.metadata.get("major_brand", "").strip().lower()
        if video is None:
            return "mp4", "audio/mp4"
        return ("mov", "video/quicktime") if brand == "qt" else ("mp4", "video/mp4")
    if fmt.startswith("matroska"):
        if codecs <= WEBM_CODECS:
            return "webm", "video/webm" if video else "audio/webm"
        return "matroska", "video/x-matroska" if video else "audio/x-matroska"
    if fmt == "ogg":
        return "ogg", "video/ogg" if video else "audio/ogg"
    simple = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "aac": "audio/aac",
              "avi": "video/x-msvideo", "mpegts": "video/mp2t"}
    if fmt in simple:
        return fmt, simple[fmt]
    raise DecodeError(f"{fmt} files are not read here; the server reads {READABLE}")


def seconds(value, time_base) -> float | None:
    return None if value is None or time_base is None else float(value * time_base)


def rotation(stream, first_frame) -> int:
    """Clockwise degrees to show the picture upright: FFmpeg puts a phone's
    display matrix on every decoded frame (counterclockwise); older files
    carry a "rotate" tag (clockwise)."""
    degrees = 0
    if first_frame.rotation:
        degrees = -first_frame.rotation
    elif (tag := stream.metadata.get("rotate")) and tag.lstrip("-").isdigit():
        degrees = int(tag)
    return round(degrees / 90) % 4 * 90


def _first_frame(container, stream):
    """The first decoded picture (the rotation, and proof the decoder works),
    leaving the container at its start for whoever reads next."""
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                return frame
        return None
    finally:
        container.seek(0)


def _looks_like_mp4(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(8)[4:8] == b"ftyp"


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _probe_av(path: Path, *, full: bool, max_frame_pixels: int | None,
              other_image_format: str | None) -> MediaFacts:
    try:
        container = av.open(str(path), options=dict(OPEN_OPTIONS))
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        if other_image_format:
            raise DecodeError(f"{other_image_format} images are not read here; "
                              f"the server reads {READABLE}") from None
        if _looks_like_mp4(path):
            # Its index (the moov box) is written last: a cut-off upload
            # lacks it and cannot be opened at all.
            raise DecodeError("an MP4/MOV file that does not open: truncated, or its index "
                              f"is damaged ({_reason(exc)})") from None
        raise DecodeError(f"not a picture or sound the server reads ({_reason(exc)}); "
                          f"the server reads {READABLE}") from None
    with container:
        try:
            return _av_facts(container, full=full, max_frame_pixels=max_frame_pixels)
        except (av.FFmpegError, ValueError) as exc:
            raise DecodeError(f"the file is truncated or corrupt ({_reason(exc)})") from None


def main_stream(streams):
    """The stream of a kind a file is about."""
    # Cover art (an MP3's or M4A's picture) is a "video" stream of one
    # picture: it does not make sound into video.
    return next((s for s in streams
                 if not s.disposition & av.stream.Disposition.attached_pic), None)


def _codec(stream) -> str | None:
    # The codec's own name ("mp3"), not its decoder's ("mp3float", "libdav1d").
    return None if stream is None else stream.codec_context.codec.canonical_name


def _channels(audio) -> int | None:
    if audio is None:
        return None
    return audio.codec_context.channels or audio.codec_context.layout.nb_channels or None


def _av_facts(container, *, full: bool, max_frame_pixels: int | None) -> MediaFacts:
    video = main_stream(container.streams.video)
    audio = main_stream(container.streams.audio)
    if video is None and audio is None:
        raise DecodeError("the file has neither pictures nor sound")
    for stream in (video, audio):
        if stream is not None and stream.codec_context is None:
            raise DecodeError(f"the server has no decoder for this file's {stream.type}")
    fmt, media_type = _media_type(container, container.format.name, video, audio)
    duration = (seconds(container.duration, Fraction(1, av.time_base))
                or seconds((video or audio).duration, (video or audio).time_base) or 0.0)
    facts = MediaFacts(
        kind="video" if video is not None else "audio", media_type=media_type, format=fmt,
        width=None, height=None, frames=None, duration=duration, fps=None,
        video_codec=_codec(video), audio_codec=_codec(audio),
        sample_rate=(audio.codec_context.sample_rate or None) if audio is not None else None,
        channels=_channels(audio), rotation=0,
        has_video=video is not None, has_audio=audio is not None)
    if video is not None:
        facts = _video_facts(container, video, facts, max_frame_pixels)
    if full:
        facts = _read_through(container, facts, video, audio)
    return facts


def _video_facts(container, video, facts: MediaFacts, max_frame_pixels: int | None) -> MediaFacts:
    fps = float(video.average_rate or video.guessed_rate or 0) or None
    frames = video.frames or (round(facts.duration * fps) if fps and facts.duration else None)
    width, height = video.codec_context.width, video.codec_context.height
    # The header's size, checked before a picture is decoded.
    _check_size(replace(facts, width=width, height=height, fps=fps, frames=frames),
                max_frame_pixels)
    first = _first_frame(container, video)
    if first is None:
        raise DecodeError("the video has no picture that decodes")
    turned = rotation(video, first)
    width, height = first.width, first.height
    if turned in (90, 270):
        width, height = height, width
    return replace(facts, width=width, height=height, fps=fps, frames=frames, rotation=turned)


def _read_through(container, facts: MediaFacts, video, audio) -> MediaFacts:
    """Read the file to its end once: every packet demuxed (a file cut short
    runs out of packets before its index or header says it ends), all the
    sound decoded (cheap: a minute of AAC decodes in tens of milliseconds),
    and the pictures of the last few seconds decoded.

    Why not decode every picture: a ten-minute 1080p upload would cost a
    minute or more of a web process's time, on every upload. Truncation, the
    common fault of an upload, shows in the demux (the packets stop short of
    what the index or header promised) and in the tail (a cut packet does
    not decode). Damage in the middle of a clip that still demuxes is left
    for the render to report."""
    streams = [s for s in (video, audio) if s is not None]
    counts = {s.index: 0 for s in streams}
    ends: dict[int, float] = {}
    first = None  # the earliest timestamp of any stream: where the file starts
    for packet in container.demux(streams):
        stream = packet.stream
        if stream is audio:
            packet.decode()  # the empty packet at the end flushes the decoder
        if packet.size == 0:
            continue
        if packet.is_corrupt:
            raise DecodeError("the file is truncated or corrupt (a damaged packet)")
        counts[stream.index] += 1
        if packet.pts is not None:
            at = float(packet.pts * stream.time_base)
            first = at if first is None else min(first, at)
            end = at + float((packet.duration or 0) * stream.time_base)
            ends[stream.index] = max(ends.get(stream.index, end), end)
    measured = max(ends.values(), default=0.0) - (first or 0.0)
    for stream in streams:
        if counts[stream.index] == 0:
            raise DecodeError(f"the file is truncated: its {stream.type} has no data")
        if stream.frames and counts[stream.index] < stream.frames:
            raise DecodeError(f"the file is truncated: its {stream.type} stops after "
                              f"{counts[stream.index]} of {stream.frames} packets")
    if (facts.duration and facts.format not in ESTIMATED_DURATION
            and measured < facts.duration * (1 - SLACK_SHARE) - SLACK_SECONDS):
        raise DecodeError(f"the file is truncated: it stops at {measured:.2f} s of the "
                          f"{facts.duration:.2f} s its header gives")
    if video is not None:
        _decode_tail(container, video, ends.get(video.index, 0.0))
    # A duration the header lacks (a live recording) is measured from the
    # packets; one it gives is kept, as players show it (the packets' span
    # also counts an encoder's priming samples).
    return replace(facts, duration=facts.duration or measured,
                   frames=(facts.frames if video is None or video.frames
                           else counts[video.index]))


def _decode_tail(container, video, end: float) -> None:
    """Decode the pictures from the keyframe before the last TAIL_SECONDS
    to the end of the file (`end`: the video's last timestamp, in seconds)."""
    begins = float((video.start_time or 0) * video.time_base)
    start = max(begins, end - TAIL_SECONDS)  # in the stream's own timestamps
    container.seek(int(start / video.time_base), stream=video, backward=True, any_frame=False)
    if _decode_to_end(container, video) == 0:
        # A file without an index (MPEG-TS) seeks to a packet near the time,
        # not to the keyframe before it, and nothing after decodes: its
        # pictures are decoded from the start instead.
        container.seek(0)
        if _decode_to_end(container, video) == 0:
            raise DecodeError("the file is truncated or corrupt: its pictures do not decode")


def _decode_to_end(container, video) -> int:
    decoded = 0
    for packet in container.demux(video):
        decoded += len(packet.decode())
    return decoded
