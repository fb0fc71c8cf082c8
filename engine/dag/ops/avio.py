"""Reading and writing the values of engine/dag/ops/_values.py as files.

Images go through engine.media (Pillow); video and sound through PyAV, whose
wheels carry the FFmpeg libraries. Every container is written with FFmpeg's
bitexact flag and single-threaded encoders, so the same value always gives
the same bytes (and so the same content hash).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine import media
from engine.canonical import canonical_bytes
from engine.errors import DecodeError, TooLarge

from ._values import DATA_MEDIA_TYPE, LIST_MEDIA_TYPE, Audio, Clip, Items, retime, rgb

MS = Fraction(1, 1000)
BITEXACT = {"fflags": "+bitexact"}
MAX_FPS = 60
PADDING_SAMPLES = 2048


def _limits(frames: int, width: int, height: int, seconds: float, *, max_pixels: int,
            max_seconds: float) -> None:
    if frames * width * height > max_pixels:
        raise TooLarge(f"media is over the limit of {max_pixels} pixels (all frames together)")
    if seconds > max_seconds:
        raise TooLarge(f"media is longer than the limit of {max_seconds:g} s")


def decode(path: Path, *, media_type: str = "", max_pixels: int, max_seconds: float = 600.0):
    """A Clip, Audio, dict or Items from a stored file."""
    if media_type in (LIST_MEDIA_TYPE, DATA_MEDIA_TYPE):
        data = json.loads(Path(path).read_bytes())
        return Items(data["items"]) if media_type == LIST_MEDIA_TYPE else data
    try:
        image = media.decode(path, max_pixels=max_pixels)
    except DecodeError:
        return _decode_av(path, max_pixels=max_pixels, max_seconds=max_seconds)
    if image.animated:
        return Clip([rgb(f) for f in image.frames], [d / 1000 for d in image.durations])
    return Clip([rgb(image.frames[0])], [0.0])


def _decode_av(path: Path, *, max_pixels: int, max_seconds: float):
    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError) as exc:
        raise DecodeError("not an image, video or sound file this server reads "
                          "(PNG, JPEG, WebP, GIF, MP4, WebM, MKV, WAV, MP3)") from exc
    with container:
        durations_tag = container.metadata.get("ARTDAG_DURATIONS") or container.metadata.get(
            "artdag_durations")
        seconds = (container.duration or 0) / av.time_base
        video = container.streams.video[0] if container.streams.video else None
        sound = container.streams.audio[0] if container.streams.audio else None
        if video is None and sound is None:
            raise DecodeError("the file has neither pictures nor sound")
        if video is not None:
            # Our own files list every frame's duration; for others, trust the
            # header's rate for a first check (_read_video counts for real).
            estimate = (len(json.loads(durations_tag)) if durations_tag
                        else int(seconds * float(video.average_rate or 30)) + 1)
            _limits(estimate, video.width, video.height, seconds,
                    max_pixels=max_pixels, max_seconds=max_seconds)
        else:
            _limits(0, 0, 0, seconds, max_pixels=max_pixels, max_seconds=max_seconds)
        try:
            frames, stamps = _read_video(container, video, max_pixels) if video else ([], [])
            audio = _read_audio(str(path), max_seconds) if sound else None
        except av.FFmpegError as exc:
            raise DecodeError(f"the file is damaged: {exc}") from None
    if not frames:
        if audio is None:
            raise DecodeError("the video stream holds no frames")
        return audio
    if durations_tag:
        durations = [float(d) for d in json.loads(durations_tag)]
    else:
        step = 1 / float(video.average_rate or 25)
        durations = [max(b - a, 0.0) for a, b in zip(stamps, stamps[1:])] + [step]
    durations = durations[:len(frames)]
    pictures = sum(durations)
    if audio is not None and 0 < audio.duration - pictures < PADDING_SAMPLES / audio.rate:
        # Encoders pad the last audio frame (AAC by up to 2048 samples): that
        # is not sound the author made, so trim it to the pictures' length.
        audio = Audio(audio.samples[:int(round(pictures * audio.rate))], audio.rate)
    return Clip(frames, durations, audio)


def _read_video(container, stream, max_pixels: int) -> tuple[list[np.ndarray], list[float]]:
    frames, stamps, pixels = [], [], 0
    for frame in container.decode(stream):
        pixels += frame.width * frame.height
        if pixels > max_pixels:  # the header's estimate can lie
            raise TooLarge(f"video is over the limit of {max_pixels} pixels (all frames together)")
        frames.append(frame.to_ndarray(format="rgb24"))
        stamps.append(float(frame.time) if frame.time is not None else len(stamps) / 25)
    return frames, stamps


def _read_audio(path: str, max_seconds: float) -> Audio:
    with av.open(path) as container:
        stream = container.streams.audio[0]
        rate = stream.rate or 44100
        layout = "mono" if stream.channels == 1 else "stereo"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1, out.layout.nb_channels))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1, out.layout.nb_channels))
    channels = 1 if layout == "mono" else 2
    samples = np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)
    if len(samples) > max_seconds * rate:
        raise TooLarge(f"sound is longer than the limit of {max_seconds:g} s")
    return Audio(samples.astype(np.float32), rate)


def _temp_path(suffix: str) -> str:
    handle, name = tempfile.mkstemp(suffix=suffix)
    os.close(handle)
    return name


def _wav_bytes(audio: Audio) -> bytes:
    pcm = np.clip(np.round(audio.samples * 32767), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(audio.channels)
        out.setsampwidth(2)
        out.setframerate(audio.rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _even(frame: np.ndarray) -> np.ndarray:
    # H.264 in 4:2:0 needs even sides: repeat the last row/column if needed.
    height, width = frame.shape[:2]
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def _write_audio(container, audio: Audio, codec: str) -> tuple:
    layout = "mono" if audio.channels == 1 else "stereo"
    stream = container.add_stream(codec, rate=audio.rate)
    stream.layout = layout
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(audio.samples.T.astype(np.float32)), format="fltp", layout=layout)
    frame.sample_rate, frame.pts, frame.time_base = audio.rate, 0, Fraction(1, audio.rate)
    return stream, frame


def _encode_clip(clip: Clip, *, final: bool) -> tuple[bytes, str]:
    path = _temp_path(".mp4" if final else ".mkv")
    try:
        options = dict(BITEXACT, **({"movflags": "+faststart"} if final else {}))
        with av.open(path, "w", format="mp4" if final else "matroska",
                     options=options) as container:
            if final:
                fps = min(MAX_FPS, max(1, round(clip.fps)))
                frames = [_even(f) for f in retime(clip, fps, sum(clip.durations) or None)]
                video = container.add_stream("libx264", rate=fps)
                video.pix_fmt = "yuv420p"
                # One thread and x264's cpu-independent mode: the same frames
                # give the same bytes on every run and every CPU. Without it
                # x264 picks code paths by CPU, and on some hosts the same
                # clip encoded twice in one process came out different.
                video.options = {"crf": "18", "preset": "medium", "threads": "1",
                                 "x264-params": "cpu-independent=1"}
                times = list(range(len(frames)))
            else:
                frames = clip.frames
                # Lossless, with the exact durations kept as milliseconds.
                container.metadata["ARTDAG_DURATIONS"] = json.dumps(clip.durations)
                video = container.add_stream("ffv1", rate=1000)
                video.pix_fmt = "bgr0"
                video.time_base = MS
                ends = np.cumsum([0.0, *clip.durations])
                times = [int(round(t * 1000)) for t in ends[:-1]]
            video.thread_count = 1
            video.width, video.height = frames[0].shape[1], frames[0].shape[0]
            sound = _write_audio(container, clip.audio, "aac" if final else "flac") \
                if clip.audio is not None and len(clip.audio.samples) else None
            for frame, pts in zip(frames, times):
                picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
                picture.pts = pts
                container.mux(video.encode(picture))
            container.mux(video.encode())
            if sound is not None:
                stream, samples = sound
                container.mux(stream.encode(samples))
                container.mux(stream.encode())
        return Path(path).read_bytes(), ("video/mp4" if final else "video/x-matroska")
    finally:
        os.unlink(path)


def encode(value, *, final: bool = False) -> tuple[bytes, str]:
    """Bytes and media type for a value: lossless for steps, delivery formats
    (PNG, MP4, WAV) for a recipe's outputs."""
    if isinstance(value, Items):
        return canonical_bytes({"items": value.ids}), LIST_MEDIA_TYPE
    if isinstance(value, dict):
        return canonical_bytes(value), DATA_MEDIA_TYPE
    if isinstance(value, Audio):
        return _wav_bytes(value), "audio/wav"
    if value.still:
        return media.encode(media.Media("PNG", [value.frames[0]]), "PNG"), "image/png"
    return _encode_clip(value, final=final)
