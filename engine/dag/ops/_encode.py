"""Writing moving pictures and their sound with PyAV (FFmpeg), as streams.

Frames and sound chunks go straight from the value's iterators into the
encoders, interleaved by time, so no stream is ever held whole. Every
container gets FFmpeg's bitexact flag and every encoder one thread, so the
same value gives the same bytes.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from ._decode import TAG_FORMAT, TAG_FPS, TAG_LOOP, layout
from ._values import Audio, Clip

MS = Fraction(1, 1000)       # Matroska's clock: our intermediates' timestamps
TICKS = Fraction(1, 90000)   # the delivery MP4's clock (MPEG's 90 kHz)
# The muxer holds packets until every stream has one at that time, up to
# max_interleave_delta (10 s by default): when the sound ends before the
# pictures, that is 10 s of frames queued (300 MB of FFV1 at 640x480). We
# hand it packets in time order already, so a short wait is enough.
MUX = {"fflags": "+bitexact", "max_interleave_delta": "100000"}  # microseconds
SNAP = 0.0006  # s: a timestamp this close to the frame-rate grid is on it (ms rounding)


def write_moving(clip: Clip, path: str, *, deliver: bool) -> str:
    """Encode a moving clip into ``path``: MP4 H.264 + AAC for delivery,
    Matroska FFV1 + FLAC (lossless, millisecond times) for a step. Returns the
    media type."""
    frames = iter(clip.frames(0.0))
    first = next(frames, None)
    if first is None:
        raise ValueError("a clip with no frames")
    chunks = iter(clip.audio.chunks()) if clip.audio is not None else iter(())
    chunk = next((c for c in chunks if len(c)), None)
    options = dict(MUX)
    if deliver:
        # The movie's clock (edit lists) ticks at the sound's rate, so the
        # sound's length survives to the sample instead of to the millisecond.
        rate = clip.audio.rate if chunk is not None else 90000
        options.update(movflags="+faststart", movie_timescale=str(rate))
    with av.open(path, "w", format="mp4" if deliver else "matroska", options=options) as out:
        if not deliver:
            out.metadata[TAG_FPS] = str(clip.fps)
            if clip.format:
                out.metadata[TAG_FORMAT] = clip.format
            if clip.loop is not None:
                out.metadata[TAG_LOOP] = str(clip.loop)
        height, width = first.image.shape[:2]
        video = _video_stream(out, width, height, clip.fps, deliver)
        sound = _sound_stream(out, clip.audio, deliver) if chunk is not None else None
        clock = _Clock(TICKS if deliver else MS, clip.fps if deliver else None)
        packets = _Packets(out)
        sent = 0  # samples given to the sound encoder
        for frame in _chain(first, frames):
            # Sound up to this picture's time goes first, so the muxer's
            # interleaving queue stays a few packets long.
            while chunk is not None and sent <= frame.start * sound.rate:
                out.mux(_encode_sound(sound, chunk, sent))
                sent += len(chunk)
                chunk = next(chunks, None)
            image = frame.image
            if image.shape[0] != height or image.shape[1] != width:
                raise ValueError(f"a frame of {image.shape[1]}x{image.shape[0]} in a "
                                 f"{width}x{height} clip")
            pts, ticks = clock.span(frame.start, frame.duration)
            packets.push(video.encode(_picture(image, deliver, pts, clock.base)))
        packets.push(video.encode())
        packets.close(clock.first, clock.end)
        while chunk is not None:
            out.mux(_encode_sound(sound, chunk, sent))
            sent += len(chunk)
            chunk = next(chunks, None)
        if sound is not None:
            out.mux(sound.encode())
    return "video/mp4" if deliver else "video/x-matroska"


def _chain(first, rest):
    yield first
    yield from rest


class _Clock:
    """Seconds to ticks, every frame after the last. For delivery, a time
    within SNAP of the frame-rate grid is put on it: intermediates keep
    milliseconds, and 1/30 s rounded to 33 ms should come back as 1/30 s."""

    def __init__(self, base: Fraction, fps: Fraction | None):
        self.base, self.fps, self.last = base, fps, -1
        self.first = self.end = None  # ticks: the first frame's start, the last one's end

    def _ticks(self, seconds: float) -> int:
        if self.fps:
            k = round(seconds * self.fps)
            if abs(float(k / self.fps) - seconds) < SNAP:
                return int(round(k / self.fps / self.base))
        return int(round(seconds / self.base))

    def span(self, start: float, duration: float) -> tuple[int, int]:
        pts = max(self._ticks(start), self.last + 1)
        ticks = max(self._ticks(start + duration) - pts, 1)
        self.last, self.end = pts, pts + ticks
        if self.first is None:
            self.first = pts
        return pts, ticks


def _video_stream(out, width: int, height: int, fps: Fraction, deliver: bool):
    rate = Fraction(fps).limit_denominator(1001) if fps and fps > 0 else Fraction(25)
    if deliver:
        stream = out.add_stream("libx264", rate=rate)
        # H.264 in 4:2:0 needs even sides (chroma is sampled per 2x2 block and
        # the format's crop is in 2-pixel steps): an odd side gets one more
        # row or column, a copy of the edge (see _picture).
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p"
        # One thread and x264's cpu-independent mode: the same frames give the
        # same bytes on every run and every CPU (x264 otherwise picks code
        # paths by CPU, and the same clip encoded twice came out different).
        stream.codec_context.options = {"crf": "18", "preset": "medium", "threads": "1",
                                        "x264-params": "cpu-independent=1",
                                        "flags": "+bitexact"}
        # The conversion from RGB is BT.601 in limited range: say so, or
        # players guess BT.709 for HD and shift the colours.
        stream.codec_context.colorspace = 6      # SMPTE 170M (BT.601)
        stream.codec_context.color_range = 1     # limited (MPEG)
        base = TICKS
    else:
        stream = out.add_stream("ffv1", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "bgr0"  # FFV1's lossless RGB
        stream.codec_context.options = {"threads": "1", "flags": "+bitexact"}
        base = MS
    stream.codec_context.time_base = base
    stream.time_base = base
    stream.thread_count = 1
    return stream


def _picture(image: np.ndarray, deliver: bool, pts: int, base: Fraction):
    if deliver and (image.shape[0] % 2 or image.shape[1] % 2):
        image = np.pad(image, ((0, image.shape[0] % 2), (0, image.shape[1] % 2), (0, 0)),
                       mode="edge")
    try:
        # Wraps the array without a copy; the encoder converts it to its own
        # pixel format (a new buffer) before it keeps anything.
        picture = av.VideoFrame.from_numpy_buffer(image, format="rgb24")
    except ValueError:  # pixels not contiguous in a row (a view of a view)
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    picture.pts, picture.time_base = pts, base
    return picture


class _Packets:
    """Muxes a video encoder's packets one behind, to give each its duration.

    Packets come in decode order; MP4 keeps each sample's duration as the gap
    to the next decode time and takes the last one's from the packet, and
    the track lasts from the first decode time to the last plus that. With
    B-frames the last packet decoded is not the last frame shown, so its
    duration is what makes the track end where the last frame stops showing
    (a variable frame rate would otherwise lose or gain up to a frame)."""

    def __init__(self, out):
        self.out, self.held, self.first_dts = out, None, None

    def push(self, packets) -> None:
        for packet in packets:
            if self.first_dts is None:
                self.first_dts = packet.dts
            if self.held is not None:
                self.held.duration = max(packet.dts - self.held.dts, 1)
                self.out.mux(self.held)
            self.held = packet

    def close(self, first_pts: int, end_pts: int) -> None:
        if self.held is not None:
            self.held.duration = max(end_pts - first_pts + self.first_dts - self.held.dts, 1)
            self.out.mux(self.held)
            self.held = None


def _sound_stream(out, audio: Audio, deliver: bool):
    stream = out.add_stream("aac" if deliver else "flac", rate=audio.rate)
    stream.layout = layout(audio.channels)[0]
    stream.codec_context.options = {"flags": "+bitexact"}
    stream.time_base = Fraction(1, audio.rate)
    return stream


def _encode_sound(stream, chunk: np.ndarray, at: int):
    name = "mono" if chunk.shape[1] == 1 else "stereo"
    samples = np.ascontiguousarray(chunk, dtype=np.float32).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout=name)
    frame.sample_rate, frame.pts, frame.time_base = stream.rate, at, Fraction(1, stream.rate)
    return stream.encode(frame)
