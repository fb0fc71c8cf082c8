"""Real media files made by code for tests: video, sound, stills, animations.

Every function writes a file with PyAV (FFmpeg) or Pillow at ``path`` and
returns the path, so a test reads exactly the bytes a user's camera, phone or
editor would hand us: H.264 with B-frames, odd sizes, variable frame rate,
rotation metadata, mono or stereo sound at 44.1 or 48 kHz, or no sound.

The pictures are made to be checked after lossy coding:

* ``picture(width, height, index)`` is asymmetric (a white block in the top
  left corner, a red bar down the right edge), so a rotation or a mirror shows;
* its lower part carries the frame number as two flat grey bands, which
  survive H.264 and VP9 well; ``frame_index(image)`` reads the number back,
  so a test can tell which frame a decoder produced at a time.

Sound is a sine per channel (left 440 Hz, right 660 Hz) at amplitude 0.3;
``tone(seconds, rate, channels)`` gives the same samples in memory.

Theora is not here: the FFmpeg in PyAV's wheels decodes it but has no encoder.
"""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

FREQUENCIES = (440.0, 660.0)
AMPLITUDE = 0.3
VFR_PATTERN = (0.04, 0.08, 0.02, 0.06)  # seconds each frame shows, repeated
LEVEL_STEP = 16
LEVELS = 14  # grey levels 16..224 per band: 196 distinct frame numbers


# --- pictures -----------------------------------------------------------------

def picture(width: int, height: int, index: int = 0) -> np.ndarray:
    """An HxWx3 RGB picture that shows its orientation and its frame number."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 200 // max(width - 1, 1) + 20,
                      y * 200 // max(height - 1, 1) + 20,
                      np.full_like(x, 60)], axis=2).astype(np.uint8)
    corner_w, corner_h = max(1, width // 4), max(1, height // 4)
    image[:corner_h, :corner_w] = 255                       # top left: white
    image[:, width - max(1, width // 10):] = (230, 20, 20)  # right edge: red
    top, middle = height // 2, (3 * height) // 4
    left, right = width // 4, width - max(1, width // 10)
    low, high = index % LEVELS, (index // LEVELS) % LEVELS
    image[top:middle, left:right] = LEVEL_STEP * (low + 1)
    image[middle:, left:right] = LEVEL_STEP * (high + 1)
    return image


def frame_index(image: np.ndarray) -> int:
    """The frame number ``picture`` drew into an (unrotated) image."""
    height, width = image.shape[:2]
    top, middle = height // 2, (3 * height) // 4
    left, right = width // 4, width - max(1, width // 10)
    # The middle of each band, away from edges that lossy coding smears.
    def level(rows: slice) -> int:
        band = image[rows, left:right].astype(np.float64)
        h, w = band.shape[:2]
        core = band[h // 4: max(h // 4 + 1, 3 * h // 4), w // 4: max(w // 4 + 1, 3 * w // 4)]
        return int(round(core.mean() / LEVEL_STEP)) - 1
    return level(slice(top, middle)) + LEVELS * level(slice(middle, height))


def frame_times(*, seconds: float, fps: float, vfr: bool = False) -> list[tuple[float, float]]:
    """(start, duration) of every frame the video writers below make."""
    times, at, i = [], 0.0, 0
    while at < seconds - 1e-9:
        step = VFR_PATTERN[i % len(VFR_PATTERN)] if vfr else 1 / fps
        times.append((at, step))
        at, i = at + step, i + 1
    return times


# --- sound --------------------------------------------------------------------

def tone(seconds: float, rate: int, channels: int) -> np.ndarray:
    """float32 (n, channels): a sine per channel at AMPLITUDE."""
    t = np.arange(int(round(seconds * rate)), dtype=np.float64) / rate
    columns = [AMPLITUDE * np.sin(2 * np.pi * FREQUENCIES[c % 2] * t) for c in range(channels)]
    return np.stack(columns, axis=1).astype(np.float32)


def _audio_stream(container, codec: str, rate: int, channels: int):
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "mono" if channels == 1 else "stereo"
    if codec == "vorbis":
        stream.codec_context.options = {"strict": "experimental"}
    return stream


def _audio_frames(stream, samples: np.ndarray, rate: int, chunk: int = 1024):
    """Frames in the encoder's own sample format, with pts in samples."""
    layout = "mono" if samples.shape[1] == 1 else "stereo"
    fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
    for at in range(0, len(samples), chunk):
        part = samples[at:at + chunk]
        if fmt.endswith("p"):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(part.T.astype(np.float32)), format="fltp", layout=layout)
        else:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(part.reshape(1, -1)), format="flt", layout=layout)
        frame.sample_rate, frame.pts = rate, at
        frame.time_base = Fraction(1, rate)
        yield at / rate, frame


# --- video --------------------------------------------------------------------

def _default_audio_codec(suffix: str) -> str:
    return {".webm": "libopus", ".ogg": "libopus", ".mkv": "aac"}.get(suffix, "aac")


def video(path: str | Path, *, codec: str = "libx264", size: tuple[int, int] = (176, 144),
          seconds: float = 2.0, fps: int = 25, bframes: bool = True,
          audio: str | None = None, rate: int = 44100, vfr: bool = False, rotation: int = 0,
          audio_codec: str | None = None, audio_seconds: float | None = None,
          pix_fmt: str | None = None) -> Path:
    """A video file; the container follows the suffix (.mp4 .mov .mkv .webm
    .ts: MPEG-TS, whose clock starts at 1.4 s, without an index to seek by).

    ``audio`` is None, "mono" or "stereo"; ``rotation`` is the display matrix's
    counter-clockwise angle (what FFmpeg reads back as a frame's rotation);
    ``pix_fmt`` picks the coded pixels (``yuv420p10le``: 10-bit; ``mjpeg``
    with ``yuvj420p``: full-range JPEG pictures, as some cameras write).
    Odd sizes are coded in 4:4:4, since 4:2:0 needs even sides and real odd
    files come from cameras' crop fields that encoders here cannot write.
    """
    path = Path(path)
    width, height = size
    times = frame_times(seconds=seconds, fps=fps, vfr=vfr)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        odd = width % 2 or height % 2
        stream.pix_fmt = pix_fmt or ("yuv444p" if odd and codec == "libx264" else "yuv420p")
        tick = Fraction(1, 90000) if vfr else Fraction(1, fps)
        stream.codec_context.time_base = tick
        options = {}
        if codec == "libx264":
            options = {"preset": "veryfast", "threads": "1"}
            if not bframes:
                options["bf"] = "0"
            else:
                options["bf"] = "3"
        elif codec == "libx265":
            options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        elif codec.startswith("libvpx"):
            options = {"deadline": "realtime", "cpu-used": "8", "threads": "1"}
        stream.codec_context.options = options
        if rotation:
            stream.set_display_rotation(rotation)
        sound = None
        if audio is not None:
            channels = 1 if audio == "mono" else 2
            codec_name = audio_codec or _default_audio_codec(path.suffix)
            stream_rate = 48000 if codec_name == "libopus" else rate
            sound = _audio_stream(container, codec_name, stream_rate, channels)
            chunks = _audio_frames(sound, tone(audio_seconds or seconds, stream_rate, channels),
                                   stream_rate)
        pending = next(chunks, None) if sound else None
        for index, (start, _) in enumerate(times):
            # Sound up to this picture's time first, so the file is interleaved.
            while pending is not None and pending[0] <= start:
                container.mux(sound.encode(pending[1]))
                pending = next(chunks, None)
            frame = av.VideoFrame.from_ndarray(picture(width, height, index), format="rgb24")
            frame.pts = int(round(start / tick))
            frame.time_base = tick
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        while pending is not None:
            container.mux(sound.encode(pending[1]))
            pending = next(chunks, None)
        if sound is not None:
            container.mux(sound.encode())
    return path


def h264_clip(path: str | Path, *, size: tuple[int, int] = (176, 144), seconds: float = 2.0,
              fps: int = 25, bframes: bool = True, audio: str | None = None, rate: int = 44100,
              vfr: bool = False, rotation: int = 0) -> Path:
    """H.264 (libx264, B-frames by default) in MP4, MOV or MKV by the suffix."""
    return video(path, size=size, seconds=seconds, fps=fps, bframes=bframes, audio=audio,
                 rate=rate, vfr=vfr, rotation=rotation)


def mov(path: str | Path, **options) -> Path:
    return h264_clip(Path(path).with_suffix(".mov"), **options)


def mkv(path: str | Path, **options) -> Path:
    return h264_clip(Path(path).with_suffix(".mkv"), **options)


def hevc_clip(path: str | Path, **options) -> Path:
    """H.265 (libx265) in MP4."""
    return video(Path(path).with_suffix(".mp4"), codec="libx265", **options)


def webm(path: str | Path, *, codec: str = "vp9", size: tuple[int, int] = (176, 144),
         seconds: float = 2.0, fps: int = 25, audio: str | None = None, vfr: bool = False) -> Path:
    """VP8 or VP9 in WebM, with Opus sound (always 48 kHz) when asked."""
    return video(Path(path).with_suffix(".webm"),
                 codec="libvpx-vp9" if codec == "vp9" else "libvpx",
                 size=size, seconds=seconds, fps=fps, audio=audio, rate=48000, vfr=vfr)


def webm_vp9(path: str | Path, **options) -> Path:
    return webm(path, codec="vp9", **options)


def webm_vp8(path: str | Path, **options) -> Path:
    return webm(path, codec="vp8", **options)


# --- sound alone --------------------------------------------------------------

SOUND_CODECS = {".mp3": "libmp3lame", ".m4a": "aac", ".flac": "flac", ".wav": "pcm_s16le",
                ".opus": "libopus", ".ogg": "libopus", ".oga": "vorbis"}
SOUND_FORMATS = {".m4a": "ipod", ".opus": "ogg", ".ogg": "ogg", ".oga": "ogg"}


def sound(path: str | Path, *, seconds: float = 2.0, rate: int = 44100, channels: int = 2,
          codec: str | None = None) -> Path:
    """Sound alone; the codec follows the suffix: .mp3 .m4a (AAC) .flac .wav
    .opus/.ogg (Opus, always 48 kHz) .oga (Vorbis in Ogg)."""
    path = Path(path)
    codec = codec or SOUND_CODECS[path.suffix]
    if codec == "libopus":
        rate = 48000  # Opus has no 44.1 kHz mode
    with av.open(str(path), "w", format=SOUND_FORMATS.get(path.suffix)) as container:
        stream = _audio_stream(container, codec, rate, channels)
        if codec == "pcm_s16le":
            layout = "mono" if channels == 1 else "stereo"
            pcm = np.round(tone(seconds, rate, channels) * 32767).astype("<i2")
            for at in range(0, len(pcm), 4096):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(pcm[at:at + 4096].reshape(1, -1)), format="s16",
                    layout=layout)
                frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
                container.mux(stream.encode(frame))
        else:
            for _, frame in _audio_frames(stream, tone(seconds, rate, channels), rate):
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def mp3(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".mp3"), **options)


def aac(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".m4a"), **options)


def flac(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".flac"), **options)


def wav(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".wav"), **options)


def opus(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".opus"), **options)


def vorbis(path: str | Path, **options) -> Path:
    return sound(Path(path).with_suffix(".oga"), **options)


# --- stills and animations ----------------------------------------------------

PILLOW_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP",
                  ".gif": "GIF", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}


def still(path: str | Path, *, size: tuple[int, int] = (48, 32), index: int = 0,
          alpha: bool = False) -> Path:
    """One picture; the format follows the suffix (.png .jpg .webp .gif .tif .bmp)."""
    path = Path(path)
    image = picture(*size, index)
    if alpha:
        a = np.full(image.shape[:2] + (1,), 255, np.uint8)
        a[: size[1] // 2] = 128
        image = np.concatenate([image, a], axis=2)
    options = {"quality": 95} if path.suffix in (".jpg", ".jpeg") else {}
    Image.fromarray(image).save(path, format=PILLOW_FORMATS[path.suffix], **options)
    return path


def png(path: str | Path, **options) -> Path:
    return still(Path(path).with_suffix(".png"), **options)


def bmp(path: str | Path, **options) -> Path:
    return still(Path(path).with_suffix(".bmp"), **options)


def animation(path: str | Path, *, frames: int = 5, size: tuple[int, int] = (32, 24),
              durations: list[int] | None = None, loop: int = 0) -> Path:
    """An animated GIF, WebP or PNG (APNG) by the suffix; durations in ms
    (default 80, 90, 100, ...)."""
    path = Path(path)
    durations = durations or [80 + 10 * i for i in range(frames)]
    images = [Image.fromarray(picture(*size, i)) for i in range(frames)]
    options = {"lossless": True} if path.suffix == ".webp" else {}
    images[0].save(path, format=PILLOW_FORMATS[path.suffix], save_all=True,
                   append_images=images[1:], duration=durations, loop=loop, **options)
    return path


def animated_gif(path: str | Path, **options) -> Path:
    return animation(Path(path).with_suffix(".gif"), **options)


def animated_webp(path: str | Path, **options) -> Path:
    return animation(Path(path).with_suffix(".webp"), **options)


def apng(path: str | Path, **options) -> Path:
    return animation(Path(path).with_suffix(".png"), **options)


def multipage_tiff(path: str | Path, *, pages: int = 3, size: tuple[int, int] = (40, 30)) -> Path:
    path = Path(path).with_suffix(".tif")
    images = [Image.fromarray(picture(*size, i)) for i in range(pages)]
    images[0].save(path, format="TIFF", save_all=True, append_images=images[1:])
    return path


# EXIF orientation -> how a viewer turns the stored pixels to show them.
ORIENTATIONS = {1: lambda a: a, 3: lambda a: np.rot90(a, 2),
                6: lambda a: np.rot90(a, -1), 8: lambda a: np.rot90(a, 1)}


def jpeg_with_exif_orientation(path: str | Path, *, orientation: int = 6,
                               size: tuple[int, int] = (48, 32)) -> Path:
    """A JPEG whose stored pixels are ``picture(*size)`` and whose EXIF says
    to turn them (6: 90 degrees clockwise, as a phone held upright writes).
    ``ORIENTATIONS[orientation](picture(*size))`` is what a viewer shows."""
    path = Path(path).with_suffix(".jpg")
    image = Image.fromarray(picture(*size))
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, format="JPEG", quality=95, exif=exif)
    return path


def big_still(path: str | Path, *, width: int = 30000, height: int = 30000) -> Path:
    """A valid PNG whose header claims huge dimensions: a tiny file that would
    decode to gigabytes (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path = Path(path).with_suffix(".png")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))
    return path


def undecodable_video(path: str | Path, *, size: tuple[int, int] = (176, 144),
                      seconds: float = 1.0, fps: int = 25, audio: str | None = None,
                      rate: int = 44100) -> Path:
    """A Matroska file whose header is sound (FFV1 pictures of ``size``,
    lasting ``seconds``) but whose picture packets are noise, so decoding a
    picture fails. ``audio`` ("mono"/"stereo") adds real FLAC sound.

    For tests that something is decided from the header alone (limits: the
    header may claim 8000x6000 or three hours in a few kilobytes) and that
    reading the sound never decodes a picture. Past 10 seconds the sound is
    10 seconds of tone and one more packet at the end, so its header says
    ``seconds`` too without encoding hours of sound."""
    path = Path(path).with_suffix(".mkv")
    rng = np.random.default_rng(0)
    tick = Fraction(1, 1000)
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("ffv1", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "bgr0"
        stream.time_base = tick
        sound = None
        if audio is not None:
            channels = 1 if audio == "mono" else 2
            sound = _audio_stream(container, "flac", rate, channels)
            chunks = _audio_frames(sound, tone(min(seconds, 10.0), rate, channels), rate)
        container.start_encoding()
        count = max(2, int(round(seconds * fps)))
        # The last packet sits at the end of ``seconds``, so the header's
        # length is what the caller asked, however few packets there are.
        stamps = [int(round(i * 1000 / fps)) for i in range(min(count, 50))]
        stamps[-1] = int(round(seconds * 1000)) - int(round(1000 / fps))
        pending = next(chunks, None) if sound else None
        for at in stamps:
            while pending is not None and pending[0] * 1000 <= at:
                container.mux(sound.encode(pending[1]))
                pending = next(chunks, None)
            packet = av.Packet(rng.integers(0, 256, 2000, dtype=np.uint8).tobytes())
            packet.stream = stream
            packet.pts = packet.dts = at
            packet.time_base = tick
            packet.duration = int(round(1000 / fps))
            container.mux(packet)
        last = None
        while pending is not None:
            for packet in sound.encode(pending[1]):
                if packet.size:
                    last = (bytes(packet), packet.duration, packet.time_base)
                container.mux(packet)
            pending = next(chunks, None)
        if sound is not None:
            for packet in sound.encode():
                if packet.size:
                    last = (bytes(packet), packet.duration, packet.time_base)
                container.mux(packet)
            if seconds > 10.0 and last is not None:
                data, duration, base = last
                packet = av.Packet(data)
                packet.stream, packet.time_base, packet.duration = sound, base, duration
                packet.pts = packet.dts = int(round(seconds / base)) - duration
                container.mux(packet)
    return path
