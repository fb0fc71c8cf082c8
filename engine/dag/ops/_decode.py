"""Reading video and sound with PyAV (FFmpeg), one frame or one chunk at a time.

A file's facts come from its header, checked against the limits before
anything is decoded. Its pictures are decoded lazily by an opener that seeks
to the asked time and decodes forward; its sound by another opener that opens
the file on its own, so reading sound never costs a picture decode.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from engine.errors import DecodeError, TooLarge
from engine.limits import Limits
from engine import probe
from engine.probe import OPEN_OPTIONS, main_stream
from engine.probe import seconds as _seconds

from ._values import EPSILON, Audio, Clip, Frame

# Tags on our own intermediates (engine/dag/ops/_encode.py writes them):
# what the pictures alone cannot say.
TAG_FPS, TAG_FORMAT, TAG_LOOP = "ARTDAG_FPS", "ARTDAG_FORMAT", "ARTDAG_LOOP"
READS = ("MP4/MOV (H.264, H.265), MKV, WebM (VP8, VP9), Ogg, MP3, AAC, FLAC, WAV, "
         "PNG, JPEG, WebP, GIF, TIFF, BMP")


def open_input(path: str | Path):
    try:
        # Only the containers the server reads, and only local files: a
        # playlist uploaded as an input must not make FFmpeg open other files.
        return av.open(str(path), metadata_errors="replace", options=dict(OPEN_OPTIONS))
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise DecodeError(f"not an image, video or sound file this server reads ({READS})") \
            from exc


def _damaged(what: str, exc: av.FFmpegError) -> DecodeError:
    return DecodeError(f"the {what} is damaged ({getattr(exc, 'strerror', None) or exc})")


def _tag_seconds(text: str | None) -> float | None:
    """Matroska's per-stream DURATION tag, 'HH:MM:SS.nnnnnnnnn'."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except (AttributeError, ValueError):
        return None


def _stream_end(stream, container, *, own: bool = False) -> float | None:
    """Where a stream ends (seconds on the file's clock), from the header;
    unless ``own``, the whole file's end when the stream's is not written."""
    start = _seconds(stream.start_time, stream.time_base) or 0.0
    if stream.duration:
        return start + float(stream.duration * stream.time_base)
    tagged = _tag_seconds(stream.metadata.get("DURATION"))
    if tagged is not None:
        return tagged
    if container.duration and not own:
        return (container.start_time or 0) / av.time_base + container.duration / av.time_base
    return None


def layout(channels: int) -> tuple[str, int]:
    # Mono stays mono; stereo and anything wider (5.1 films) becomes stereo,
    # the two channels every op and every player handles.
    return ("mono", 1) if channels == 1 else ("stereo", 2)


def _origin(*streams) -> float:
    """Time zero of a clip: where the first of its pictures and sound starts
    (MPEG-TS starts its clock at 1.4 s; a camera may start sound first)."""
    starts = [_seconds(s.start_time, s.time_base) for s in streams if s is not None]
    starts = [s for s in starts if s is not None]
    return min(starts) if starts else 0.0


def read_media(path: Path, limits: Limits) -> Clip | Audio:
    """A Clip (pictures, with the sound if any) or an Audio (sound alone)."""
    with open_input(path) as container:
        video, sound = main_stream(container.streams.video), main_stream(container.streams.audio)
        if video is None and sound is None:
            raise DecodeError("the file has neither pictures nor sound")
        origin = _origin(video, sound)
        if video is None:
            return _audio(path, container, sound, limits, origin)
        width, height = video.codec_context.width, video.codec_context.height
        if not width or not height:
            raise DecodeError("the video stream has no picture size")
        _check(width, height, container, limits)
        tags = dict(container.metadata)
        ours = TAG_FPS in tags
        rotation = 0 if ours else _rotation(container, video)
        own_end = _stream_end(video, container, own=True)
        end = _stream_end(video, container)
        if end is None:
            end = own_end = _scan_end(container, video)
        if end - origin > limits.max_seconds:  # the header did not say; the packets did
            raise TooLarge(f"the media lasts {end - origin:,.1f} s, over the limit of "
                           f"{limits.max_seconds:g} s")
        if rotation in (90, 270):
            width, height = height, width
        fps = Fraction(tags[TAG_FPS]) if ours else \
            Fraction(video.average_rate or video.guessed_rate or 25)
        duration = max(end - origin, 0.0)
        count = video.frames or max(1, int(round(duration * fps)))
        audio = _audio(path, container, sound, limits, origin) if sound is not None else None
        index = video.index

    def opener(start: float) -> Iterator[Frame]:
        return _frames(path, index, start, origin=origin, end=own_end, fps=fps,
                       rotation=rotation, size=(width, height), limits=limits)

    loop = tags.get(TAG_LOOP) if ours else None
    return Clip(width, height, duration, count, opener, fps, audio,
                tags.get(TAG_FORMAT) if ours else None, int(loop) if loop is not None else None)


def _scan_end(container, stream) -> float:
    """The end of a stream whose header does not say (a live recording cut
    short): read its packets, without decoding them, to the last one."""
    end = 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    except av.FFmpegError as exc:
        raise _damaged("video", exc) from None
    container.seek(0)
    return end


def _check(width: int, height: int, container, limits: Limits) -> None:
    if width * height > limits.max_frame_pixels:
        raise TooLarge(f"a frame of {width}x{height} is over the limit of "
                       f"{limits.max_frame_pixels:,} pixels per frame")
    seconds = (container.duration or 0) / av.time_base
    if seconds > limits.max_seconds:
        raise TooLarge(f"the media lasts {seconds:,.1f} s, over the limit of "
                       f"{limits.max_seconds:g} s")


def _rotation(container, stream) -> int:
    """The rotation, counter-clockwise degrees (0, 90, 180, 270), as the probe
    reads it. FFmpeg gives a stream's display matrix to its decoded frames
    only, so this decodes the first frame; that also proves the stream
    decodes at all."""
    try:
        frame = next(iter(container.decode(stream)), None)
    except av.FFmpegError as exc:
        raise _damaged("video", exc) from None
    if frame is None:
        raise DecodeError("the video stream holds no frames")
    return -probe.rotation(stream, frame) % 360


def _frames(path: Path, index: int, start: float, *, origin: float, end: float | None,
            fps: Fraction, rotation: int, size: tuple[int, int],
            limits: Limits) -> Iterator[Frame]:
    """Frames from the one showing at ``start``: seek back to a keyframe,
    decode forward, and skip the frames that end before ``start``. A frame's
    duration is the next frame's start minus its own (one frame of
    lookahead), so variable frame rates keep their exact times."""
    width, height = (size[1], size[0]) if rotation in (90, 270) else size
    turns = rotation // 90
    for fresh in (start <= EPSILON, True):
        with open_input(path) as container:
            stream = container.streams.video[index]
            stream.thread_type = "AUTO"  # decoding is exact in any thread count
            for other in container.streams:
                if other is not stream:
                    other.discard = av.stream.Discard.all  # never read its packets
            decoded = container.decode(stream) if fresh else _seek(container, stream, start,
                                                                    origin)
            if decoded is None:
                continue  # no seek landed well: decode from the first frame instead
            tb = stream.time_base
            pending, at = None, 0.0
            try:
                for frame in decoded:
                    t = at + 1 / float(fps) if frame.pts is None else \
                        float(frame.pts * tb) - origin
                    if pending is not None:
                        if t <= at + EPSILON:
                            continue  # a repeated timestamp: the picture shown is the first
                        if t > start + EPSILON:
                            yield Frame(_image(pending, width, height, turns), max(at, 0.0),
                                        t - max(at, 0.0))
                    if t > limits.max_seconds:
                        raise TooLarge(f"the media lasts over the limit of "
                                       f"{limits.max_seconds:g} s")
                    pending, at = frame, t
            except av.FFmpegError as exc:
                raise _damaged("video", exc) from None
            if pending is not None:
                # The last frame lasts to the stream's end; a packet's own
                # duration is the fallback (in MP4 it is a gap between decode
                # times, which with B-frames belongs to another frame).
                last = end - origin - at if end is not None else 0.0
                if last <= EPSILON and pending.duration:
                    last = float(pending.duration * tb)
                if last <= EPSILON:
                    last = 1 / float(fps)
                yield Frame(_image(pending, width, height, turns), max(at, 0.0), last)
            return


def _seek(container, stream, start: float, origin: float):
    """Decoded frames from a keyframe at or before ``start``, or None. A seek
    lands on a keyframe by decode time, which with B-frames can show after
    ``start``: then it seeks further back. Files without an index (MPEG-TS)
    may land where no keyframe follows: None, and the caller decodes from
    the first frame."""
    tb = stream.time_base
    for back in (0.0, 1.0, 10.0):
        target = max(start - back, 0.0) + origin
        try:
            container.seek(int(target / tb), stream=stream, backward=True)
            frames = container.decode(stream)
            first = next(frames, None)
        except av.FFmpegError:
            continue
        if first is None:
            continue
        if first.pts is not None and float(first.pts * tb) - origin > start + EPSILON:
            continue  # landed after start: go further back
        return _chain(first, frames)
    return None


def _chain(first, rest):
    yield first
    yield from rest


def _image(frame, width: int, height: int, turns: int) -> np.ndarray:
    if frame.width != width or frame.height != height:
        # The stream changed size midway (some broadcasts do): keep the
        # header's size, which every step downstream was promised.
        image = frame.to_ndarray(format="rgb24", width=width, height=height)
    else:
        image = frame.to_ndarray(format="rgb24")
    if turns:
        image = np.ascontiguousarray(np.rot90(image, turns))
    return image


def _audio(path: Path, container, stream, limits: Limits, origin: float) -> Audio:
    seconds = None
    end = _stream_end(stream, container)
    start = _seconds(stream.start_time, stream.time_base) or 0.0
    if end is not None:
        seconds = end - start
        if seconds > limits.max_seconds:
            raise TooLarge(f"the sound lasts {seconds:,.1f} s, over the limit of "
                           f"{limits.max_seconds:g} s")
    rate = int(stream.rate or stream.codec_context.sample_rate or 44100)
    name, channels = layout(stream.channels or 1)
    # Sound that starts after the pictures starts after them here too.
    lead = int(round((start - origin) * rate))
    # An AAC encoder pads its last frame; MP4's header says where the sound
    # really ends, so stop there.
    length = lead + int(round(seconds * rate)) if stream.duration and seconds else None
    index = stream.index

    def opener() -> Iterator[np.ndarray]:
        return _chunks(path, index, rate, name, channels, lead, length, limits)

    return Audio(None, rate, opener=opener, channels=channels,
                 duration=(lead / rate + seconds) if seconds is not None else None)


def _chunks(path: Path, index: int, rate: int, layout: str, channels: int, lead: int,
            length: int | None, limits: Limits) -> Iterator[np.ndarray]:
    limit = int(limits.max_seconds * rate)
    with open_input(path) as container:
        stream = next(s for s in container.streams if s.index == index)
        for other in container.streams:
            if other is not stream:
                other.discard = av.stream.Discard.all  # sound never reads pictures
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        done = 0
        if lead > 0:
            done = lead
            yield np.zeros((lead, channels), np.float32)

        def outputs():
            try:
                for frame in container.decode(stream):
                    yield from resampler.resample(frame)
                yield from resampler.resample(None)
            except av.FFmpegError as exc:
                raise _damaged("sound", exc) from None

        for out in outputs():
            samples = out.to_ndarray().reshape(-1, channels)
            if length is not None and done + len(samples) > length:
                samples = samples[:max(length - done, 0)]
            if len(samples):
                done += len(samples)
                if done > limit:
                    raise TooLarge(f"the sound lasts over the limit of {limits.max_seconds:g} s")
                yield samples
            if length is not None and done >= length:
                return


def read_sound(path: Path, limits: Limits) -> Audio:
    """The sound of a file, on the same clock as its pictures (read_media's)."""
    with open_input(path) as container:
        sound = main_stream(container.streams.audio)
        if sound is None:
            raise DecodeError("the file has no sound")
        return _audio(path, container, sound, limits, _origin(main_stream(container.streams.video), sound))
