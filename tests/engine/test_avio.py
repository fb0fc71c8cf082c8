"""engine/dag/ops/avio.py on real files: every kind of media people have,
read lazily and written as streams, with timing, sound and limits kept."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.dag.ops import avio
from engine.dag.ops._values import (DATA_MEDIA_TYPE, LIST_MEDIA_TYPE, Audio, Clip, Frame, Items,
                                    from_frames, map_frames, still)
from engine.errors import DecodeError, TooLarge
from engine.limits import Limits
from tests import media_samples as samples

LIMITS = Limits()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Sample files, each written once for the module and named by its recipe."""
    folder = tmp_path_factory.mktemp("samples")
    cache = {}

    def make(name: str, writer, **options):
        recipe = (writer, sorted(options.items()))
        if name not in cache:
            cache[name] = recipe, writer(folder / name, **options)
        assert cache[name][0] == recipe, f"{name} was made another way before"
        return cache[name][1]

    return make


def read(path, media_type=""):
    return avio.read(path, media_type=media_type, limits=LIMITS)


def written(value, tmp_path, *, deliver):
    path, media_type = avio.write(value, deliver=deliver, directory=tmp_path)
    return path, media_type, read(path, media_type)


def times(clip: Clip, start: float = 0.0) -> list[tuple[float, float]]:
    return [(round(f.start, 6), round(f.duration, 6)) for f in clip.frames(start)]


def indices(clip: Clip, start: float = 0.0) -> list[int]:
    return [samples.frame_index(f.image) for f in clip.frames(start)]


def peak_hz(channel: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel))))
    return float(np.argmax(spectrum) * rate / len(channel))


def stream_pts(path) -> list[float]:
    """Every picture's presentation time in a file, from its packets (no decode)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(float(p.pts * stream.time_base) for p in container.demux(stream)
                      if p.pts is not None)


# --- video in -----------------------------------------------------------------

def test_an_h264_clip_with_b_frames_reads_every_frame_in_order_at_its_time(made):
    path = made("b.mp4", samples.h264_clip)
    with av.open(str(path)) as container:  # the sample really reorders frames
        types = {f.pict_type for f in container.decode(video=0)}
    assert av.video.frame.PictureType.B in types
    clip = read(path, "video/mp4")
    assert (clip.width, clip.height, clip.count, clip.fps) == (176, 144, 50, Fraction(25))
    assert clip.duration == pytest.approx(2.0) and clip.audio is None and clip.format is None
    assert indices(clip) == list(range(50))
    assert times(clip) == [(round(i / 25, 6), 0.04) for i in range(50)]


@pytest.mark.parametrize("size", [(176, 144), (640, 272), (97, 61)])
def test_odd_and_wide_sizes_read_and_survive_a_lossless_intermediate_exactly(made, tmp_path, size):
    clip = read(made(f"size{size}.mp4", samples.h264_clip, size=size, seconds=0.4), "video/mp4")
    assert (clip.width, clip.height) == size
    pictures = [f.image for f in clip.frames()]
    assert pictures[0].shape == (size[1], size[0], 3)
    _, media_type, back = written(clip, tmp_path, deliver=False)
    assert media_type == "video/x-matroska" and (back.width, back.height) == size
    again = [f.image for f in back.frames()]
    assert len(again) == len(pictures)
    assert all(np.array_equal(a, b) for a, b in zip(pictures, again))


@pytest.mark.parametrize("size", [(176, 144), (97, 61)])
def test_delivery_keeps_the_size_padding_an_odd_side_by_one_edge_pixel(made, tmp_path, size):
    clip = read(made(f"size{size}.mp4", samples.h264_clip, size=size, seconds=0.4), "video/mp4")
    _, media_type, back = written(clip, tmp_path, deliver=True)
    assert media_type == "video/mp4"
    assert (back.width, back.height) == (size[0] + size[0] % 2, size[1] + size[1] % 2)
    assert back.fps == clip.fps and back.duration == pytest.approx(clip.duration)
    assert indices(back) == indices(clip)
    first = back.first().astype(int)
    if size[0] % 2:  # the added column repeats the last one
        assert np.abs(first[:, -1] - first[:, -2]).mean() < 4


def test_a_variable_frame_rate_keeps_its_times_through_an_intermediate_and_a_delivery(
        made, tmp_path):
    path = made("vfr.mp4", samples.h264_clip, vfr=True, audio="stereo")
    expected = [round(start, 6) for start, _ in samples.frame_times(seconds=2.0, fps=25,
                                                                      vfr=True)]
    clip = read(path, "video/mp4")
    assert [start for start, _ in times(clip)] == expected
    assert len({d for _, d in times(clip)}) > 1  # really variable
    step, step_type, middle = written(clip, tmp_path, deliver=False)
    assert times(middle) == times(clip) and indices(middle) == indices(clip)
    assert [round(t, 6) for t in stream_pts(step)] == expected
    final, final_type, out = written(middle, tmp_path, deliver=True)
    assert final_type == "video/mp4"
    assert [round(t, 6) for t in stream_pts(final)] == expected
    assert times(out) == times(clip) and out.duration == pytest.approx(clip.duration)


def test_a_constant_rate_of_1001_comes_back_exact_after_millisecond_intermediates(tmp_path):
    fps = Fraction(30000, 1001)
    images = [samples.picture(64, 48, i) for i in range(12)]
    clip = from_frames(images, [float(1 / fps)] * 12).with_(fps=fps)
    _, _, middle = written(clip, tmp_path, deliver=False)
    assert middle.fps == fps
    final, _, _ = written(middle, tmp_path, deliver=True)
    assert stream_pts(final) == pytest.approx([float(i / fps) for i in range(12)], abs=1e-5)


@pytest.mark.parametrize("rotation", [90, 270, 180])
def test_rotation_metadata_turns_the_pictures_and_swaps_the_sides(made, rotation):
    plain = read(made("plain.mp4", samples.h264_clip, seconds=0.4, bframes=False), "video/mp4")
    turned = read(made(f"rot{rotation}.mp4", samples.h264_clip, seconds=0.4, bframes=False,
                       rotation=rotation), "video/mp4")
    swapped = rotation in (90, 270)
    assert (turned.width, turned.height) == ((144, 176) if swapped else (176, 144))
    for a, b in zip(plain.frames(), turned.frames()):
        assert b.image.shape == (turned.height, turned.width, 3)
        # The display matrix is metadata: the coded pictures are the same.
        assert np.array_equal(b.image, np.rot90(a.image, rotation // 90))
    if rotation == 90:  # counter-clockwise: the white top-left corner goes bottom left
        image = turned.first().astype(int)  # and the red right edge to the top
        assert image[-5:, :5].min() > 200
        assert image[:5, :5, 0].min() > 200 and image[:5, :5, 1].max() < 60


def test_seeking_starts_at_the_frame_showing_at_the_time(made, tmp_path):
    clip = read(made("b.mp4", samples.h264_clip), "video/mp4")
    assert indices(clip, 1.0)[:3] == [25, 26, 27]
    assert indices(clip, 1.01)[0] == 25 and indices(clip, 0.999)[0] == 24
    assert next(iter(clip.frames(1.01))).start == pytest.approx(1.0)
    assert len(list(clip.frames(1.9))) == 3
    step, media_type, middle = written(clip, tmp_path, deliver=False)
    assert indices(middle, 1.01)[0] == 25 and times(middle, 1.5) == times(clip, 1.5)
    vfr = read(made("vfr.mp4", samples.h264_clip, vfr=True, audio="stereo"), "video/mp4")
    assert next(iter(vfr.frames(0.1))).start == pytest.approx(0.04)  # shows 0.04 to 0.12


@pytest.mark.parametrize("channels", ["mono", "stereo"])
@pytest.mark.parametrize("rate", [44100, 48000])
def test_a_clips_sound_keeps_its_rate_channels_and_length_through_delivery(
        made, tmp_path, channels, rate):
    path = made(f"{channels}{rate}.mp4", samples.h264_clip, seconds=1.0, audio=channels,
                rate=rate)
    clip = read(path, "video/mp4")
    width = 1 if channels == "mono" else 2
    assert (clip.audio.rate, clip.audio.channels) == (rate, width)
    sound = clip.audio.samples
    assert sound.shape == (rate, width)
    for deliver in (False, True):
        _, _, back = written(clip, tmp_path, deliver=deliver)
        got = back.audio.samples
        assert (back.audio.rate, back.audio.channels) == (rate, width)
        assert got.shape == sound.shape
        for c in range(width):
            assert peak_hz(got[:, c], rate) == pytest.approx(samples.FREQUENCIES[c], abs=3)
        # In time with the pictures: the encoder's priming is not sound.
        assert np.corrcoef(got[2048:-2048, 0], sound[2048:-2048, 0])[0, 1] > 0.99


def test_a_clip_without_sound_has_none_and_is_delivered_without(made, tmp_path):
    clip = read(made("b.mp4", samples.h264_clip), "video/mp4")
    assert clip.audio is None
    path, _, _ = written(clip, tmp_path, deliver=True)
    with av.open(str(path)) as container:
        assert not container.streams.audio


@pytest.mark.parametrize("suffix,codec", [(".webm", "vp9"), (".webm", "vp8")])
def test_webm_vp8_and_vp9_read(made, suffix, codec):
    path = made(f"{codec}{suffix}", samples.webm, codec=codec, seconds=1.0, audio="stereo")
    clip = read(path, "video/webm")
    assert (clip.width, clip.height, clip.fps) == (176, 144, Fraction(25))
    assert indices(clip) == list(range(25))
    assert clip.audio.rate == 48000 and clip.audio.channels == 2
    assert peak_hz(clip.audio.samples[:, 1], 48000) == pytest.approx(660, abs=3)


@pytest.mark.parametrize("writer,media_type", [(samples.mkv, "video/x-matroska"),
                                               (samples.mov, "video/quicktime")])
def test_matroska_and_quicktime_read_with_their_sound(made, writer, media_type):
    clip = read(made(writer.__name__, writer, seconds=1.0, audio="mono", rate=48000),
                media_type)
    assert indices(clip) == list(range(25)) and clip.audio.channels == 1
    assert len(clip.audio.samples) == pytest.approx(48000, abs=1024)


@pytest.mark.parametrize("name,writer", [("hevc.mp4", samples.hevc_clip),
                                         ("clip.ts", samples.h264_clip)])
def test_h265_and_mpeg_ts_read_and_seek(made, name, writer):
    clip = read(made(name, writer, seconds=2.0, audio="stereo"), "")
    assert indices(clip) == list(range(50)) and clip.audio.channels == 2
    # In MPEG-TS the pictures start a little after the sound, so times are
    # on the clip's own clock: the frame showing at 1.01 s is the one whose
    # span holds it.
    spans = times(clip)
    expected = next(i for i, (at, d) in enumerate(spans) if at <= 1.01 < at + d)
    shown = next(iter(clip.frames(1.01)))
    assert samples.frame_index(shown.image) == expected
    assert (round(shown.start, 6), round(shown.duration, 6)) == spans[expected]


@pytest.mark.parametrize("codec,pix_fmt", [("libx264", "yuv420p10le"), ("mjpeg", "yuvj420p")])
def test_ten_bit_and_full_range_pictures_arrive_as_eight_bit_rgb(made, codec, pix_fmt):
    clip = read(made(f"{pix_fmt}.mkv", samples.video, codec=codec, pix_fmt=pix_fmt,
                     seconds=0.4, bframes=False), "video/x-matroska")
    frames = list(clip.frames())
    assert [samples.frame_index(f.image) for f in frames] == list(range(10))
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (144, 176, 3)
    assert np.abs(frames[0].image.astype(int) - samples.picture(176, 144)).mean() < 4


def test_the_media_type_may_be_unknown(made):
    assert indices(read(made("b.mp4", samples.h264_clip), "")) == list(range(50))


# --- sound in -----------------------------------------------------------------

@pytest.mark.parametrize("writer,rate,channels", [
    (samples.mp3, 44100, 2), (samples.aac, 48000, 1), (samples.flac, 44100, 2),
    (samples.wav, 48000, 1), (samples.opus, 48000, 2), (samples.vorbis, 44100, 2)])
def test_sound_alone_reads_as_audio_with_its_rate_and_channels(made, writer, rate, channels):
    path = made(f"{writer.__name__}{rate}{channels}", writer, rate=rate, channels=channels)
    for sound in (read(path), avio.read_audio(path, limits=LIMITS)):
        assert isinstance(sound, Audio)
        assert (sound.rate, sound.channels) == (rate, channels)
        assert sound.duration == pytest.approx(2.0, abs=0.01)
        assert len(sound.samples) == pytest.approx(2 * rate, abs=rate // 100)
        for c in range(channels):
            assert peak_hz(sound.samples[:, c], rate) == pytest.approx(
                samples.FREQUENCIES[c], abs=3)


def test_the_sound_of_a_video_is_read_without_decoding_a_picture(made):
    path = made("noise.mkv", samples.undecodable_video, seconds=1.0, audio="stereo")
    with pytest.raises(DecodeError, match="damaged"):
        list(read(path, "video/x-matroska").frames())  # its pictures cannot decode
    sound = avio.read_audio(path, limits=LIMITS)
    assert (sound.rate, sound.channels, sound.samples.shape) == (44100, 2, (44100, 2))
    assert peak_hz(sound.samples[:, 0], 44100) == pytest.approx(440, abs=3)


@pytest.mark.parametrize("name", ["stereo44100.mp4", "clip1s.ts"])
def test_a_clip_s_sound_reads_alone_on_the_clip_s_own_clock(made, name):
    path = made(name, samples.h264_clip, seconds=1.0, audio="stereo", rate=44100)
    sound = avio.read_audio(path, limits=LIMITS)
    assert (sound.rate, sound.channels) == (44100, 2)
    # MPEG-TS has no edit list: the AAC encoder's priming and padding stay.
    assert len(sound.samples) == pytest.approx(44100, abs=2048)
    assert np.array_equal(sound.samples, read(path).audio.samples)


@pytest.mark.parametrize("name,writer", [("b.mp4", samples.h264_clip),
                                         ("still.png", samples.still)])
def test_a_file_without_sound_has_no_sound_to_read(made, name, writer):
    with pytest.raises(DecodeError, match="has no sound"):
        avio.read_audio(made(name, writer), limits=LIMITS)


# --- images in ----------------------------------------------------------------

@pytest.mark.parametrize("suffix,fmt", [(".png", "PNG"), (".bmp", "BMP"), (".tif", "TIFF"),
                                        (".gif", "GIF"), (".webp", "WEBP"), (".jpg", "JPEG")])
def test_a_still_reads_as_a_one_frame_clip_in_its_format(made, suffix, fmt):
    clip = read(made(f"still{suffix}", samples.still), f"image/{fmt.lower()}")
    assert clip.still and clip.format == fmt and clip.count == 1 and clip.size == (48, 32)
    image = clip.first()
    exact = fmt in ("PNG", "BMP", "TIFF")
    error = np.abs(image.astype(int) - samples.picture(48, 32)).mean()
    assert error == 0 if exact else error < 12


def test_a_multipage_tiff_reads_its_pages_as_frames_and_is_delivered_with_them(made, tmp_path):
    clip = read(made("pages.tif", samples.multipage_tiff, pages=3), "image/tiff")
    assert clip.format == "TIFF" and clip.count == 3 and not clip.still
    pages = [f.image for f in clip.frames()]
    assert all(np.array_equal(p, samples.picture(40, 30, i)) for i, p in enumerate(pages))
    path, media_type, back = written(clip, tmp_path, deliver=True)
    assert media_type == "image/tiff" and back.count == 3
    assert all(np.array_equal(a.image, b) for a, b in zip(back.frames(), pages))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_jpeg_shows_upright_as_its_exif_orientation_says(made, orientation):
    clip = read(made(f"exif{orientation}.jpg", samples.jpeg_with_exif_orientation,
                     orientation=orientation), "image/jpeg")
    shown = samples.ORIENTATIONS[orientation](samples.picture(48, 32))
    assert (clip.height, clip.width) == shown.shape[:2]
    assert np.abs(clip.first().astype(int) - shown).mean() < 6


@pytest.mark.parametrize("writer,fmt", [(samples.animated_gif, "GIF"),
                                        (samples.animated_webp, "WEBP"),
                                        (samples.apng, "PNG")])
def test_an_animation_keeps_its_frames_timing_and_loop_through_steps_and_delivery(
        made, tmp_path, writer, fmt):
    clip = read(made(writer.__name__, writer, frames=5, loop=3), "")
    expected = [(round(sum(80 + 10 * j for j in range(i)) / 1000, 6), (80 + 10 * i) / 1000)
                for i in range(5)]
    assert clip.format == fmt and clip.loop == 3 and times(clip) == expected
    assert indices(clip) == list(range(5))
    _, step_type, middle = written(clip, tmp_path, deliver=False)
    assert step_type == "video/x-matroska"
    assert (middle.format, middle.loop, times(middle)) == (fmt, 3, expected)
    _, final_type, out = written(middle, tmp_path, deliver=True)
    assert final_type == f"image/{fmt.lower()}"
    assert (out.format, out.loop, times(out)) == (fmt, 3, expected)
    assert indices(out) == list(range(5))


def test_a_still_s_format_survives_a_png_intermediate(made, tmp_path):
    clip = read(made("still.jpg", samples.still), "image/jpeg")
    _, step_type, middle = written(clip, tmp_path, deliver=False)
    assert step_type == "image/png" and middle.format == "JPEG"
    _, final_type, _ = written(middle, tmp_path, deliver=True)
    assert final_type == "image/jpeg"


# --- limits -------------------------------------------------------------------

def test_a_picture_whose_header_is_over_the_frame_limit_is_refused_before_decoding(made):
    with pytest.raises(TooLarge, match="per frame"):
        read(made("bomb.png", samples.big_still), "image/png")
    # The header claims 8000x6000; the pictures are noise no decoder takes,
    # so only a check made from the header can answer TooLarge.
    huge = made("huge.mkv", samples.undecodable_video, size=(8000, 6000))
    with pytest.raises(TooLarge, match="8000x6000 is over the limit of 40,000,000"):
        read(huge, "video/x-matroska")
    small = Limits(max_frame_pixels=176 * 144 - 1)
    with pytest.raises(TooLarge, match="per frame"):
        avio.read(made("b.mp4", samples.h264_clip), media_type="video/mp4", limits=small)


def test_media_longer_than_the_limit_is_refused_before_decoding(made):
    long = made("long.mkv", samples.undecodable_video, seconds=3 * 3600.0, audio="mono")
    with pytest.raises(TooLarge, match="over the limit of 7200 s"):
        read(long, "video/x-matroska")
    with pytest.raises(TooLarge, match="over the limit of 7200 s"):
        avio.read_audio(long, limits=LIMITS)
    short = Limits(max_seconds=1.5)
    with pytest.raises(TooLarge, match="over the limit of 1.5 s"):
        avio.read(made("flac", samples.flac), media_type="audio/flac", limits=short)
    with pytest.raises(TooLarge):
        avio.read(made("b.mp4", samples.h264_clip), media_type="video/mp4", limits=short)


def test_an_animation_over_its_pixel_budget_is_refused_from_the_header(made):
    budget = Limits(max_animation_pixels=32 * 24 * 4)
    with pytest.raises(TooLarge, match="animation"):
        avio.read(made("animated_gif", samples.animated_gif, frames=5, loop=3),
                  media_type="image/gif",
                  limits=budget)


def _rss(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) * 1024


def peak_growth(work) -> int:
    """How far the process's resident memory rose above where it was while
    ``work`` ran. (The frames' pixels live in FFmpeg's buffers, which
    tracemalloc does not see; the kernel's high-water mark does.)"""
    before = _rss("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # restart the high-water mark
    work()
    return _rss("VmHWM") - before


def test_reading_and_writing_a_long_clip_holds_a_few_frames_not_all(made, tmp_path):
    clip = read(made("long.mp4", samples.h264_clip, size=(320, 240), seconds=20.0), "video/mp4")
    assert clip.count == 500
    total = 500 * 320 * 240 * 3  # 115 MB of pictures
    next(iter(clip.frames()))  # libraries loaded and warm before measuring
    counted = []
    reading = peak_growth(lambda: counted.append(sum(1 for _ in clip.frames())))
    writing = peak_growth(lambda: avio.write(map_frames(clip, lambda image: 255 - image),
                                             deliver=False, directory=tmp_path))
    held = peak_growth(lambda: counted.append(len([f.image for f in clip.frames()])))
    assert counted == [500, 500]
    assert held > total / 2  # the measure sees frames that are held
    assert reading < total / 10 and writing < total / 5


def test_writing_a_clip_whose_sound_ends_early_does_not_queue_its_frames(tmp_path):
    # The muxer waits for a packet of every stream before writing, by default
    # for up to 10 s: once the sound ends, that would be 10 s of frames held.
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(4)]

    def opener(start):
        for i in range(250):  # 10 s of pictures that FFV1 cannot shrink
            yield Frame(noise[i % 4], i / 25, 0.04)

    clip = Clip(320, 240, 10.0, 250, opener, Fraction(25),
                Audio(samples.tone(0.5, 44100, 2), 44100))
    avio.write(clip.with_(opener=lambda start: iter(list(opener(start))[:3])), deliver=False,
               directory=tmp_path)  # libraries loaded and warm before measuring
    total = 250 * 320 * 240 * 3
    assert peak_growth(lambda: avio.write(clip, deliver=False, directory=tmp_path)) < total / 2


# --- writing ------------------------------------------------------------------

def _pictures(count: int = 6, size=(64, 48)) -> list[np.ndarray]:
    return [samples.picture(*size, i) for i in range(count)]


def _values() -> dict[str, object]:
    sound = Audio(samples.tone(0.5, 44100, 2), 44100)
    return {
        "still PNG": still(samples.picture(40, 30)),
        "still JPEG": still(samples.picture(40, 30), format="JPEG"),
        "still WEBP": still(samples.picture(40, 30), format="WEBP"),
        "still GIF": still(samples.picture(40, 30), format="GIF"),
        "still TIFF": still(samples.picture(40, 30), format="TIFF"),
        "still BMP": still(samples.picture(40, 30), format="BMP"),
        "animation GIF": from_frames(_pictures(), [0.1] * 6, format="GIF", loop=0),
        "animation WEBP": from_frames(_pictures(), [0.1] * 6, format="WEBP", loop=0),
        "animation PNG": from_frames(_pictures(), [0.1] * 6, format="PNG", loop=0),
        "animation TIFF": from_frames(_pictures(), [0.1] * 6, format="TIFF"),
        "video with sound": from_frames(_pictures(12), [0.04] * 12, sound),
        "video": from_frames(_pictures(12, (97, 61)), [0.04] * 12),
        "sound": sound,
        "data": {"beats": [0.5, 1.0], "tempo": 120},
        "list": Items(["a" * 64, "b" * 64]),
    }


EXPECTED_TYPES = {
    "still PNG": ("image/png", "image/png"), "still JPEG": ("image/png", "image/jpeg"),
    "still WEBP": ("image/png", "image/webp"), "still GIF": ("image/png", "image/gif"),
    "still TIFF": ("image/png", "image/tiff"), "still BMP": ("image/png", "image/bmp"),
    "animation GIF": ("video/x-matroska", "image/gif"),
    "animation WEBP": ("video/x-matroska", "image/webp"),
    "animation PNG": ("video/x-matroska", "image/png"),
    "animation TIFF": ("video/x-matroska", "image/tiff"),
    "video with sound": ("video/x-matroska", "video/mp4"),
    "video": ("video/x-matroska", "video/mp4"),
    "sound": ("audio/wav", "audio/wav"), "data": (DATA_MEDIA_TYPE, DATA_MEDIA_TYPE),
    "list": (LIST_MEDIA_TYPE, LIST_MEDIA_TYPE),
}


@pytest.mark.parametrize("deliver", [False, True])
@pytest.mark.parametrize("name", list(EXPECTED_TYPES))
def test_writing_the_same_value_twice_gives_the_same_bytes(tmp_path, name, deliver):
    value = _values()[name]
    first, media_type = avio.write(value, deliver=deliver, directory=tmp_path)
    second, again = avio.write(_values()[name], deliver=deliver, directory=tmp_path)
    assert media_type == again == EXPECTED_TYPES[name][deliver]
    assert first != second and first.parent == tmp_path
    assert first.read_bytes() == second.read_bytes() and first.stat().st_size > 0
    back = read(first, media_type)
    assert type(back) is type(value)


def test_data_and_lists_read_back_as_they_were_written(tmp_path):
    for value in ({"beats": [0.5, 1.0]}, Items(["a" * 64])):
        _, _, back = written(value, tmp_path, deliver=False)
        assert back == value


def test_sound_alone_is_written_as_wav_chunk_by_chunk(tmp_path):
    tone = samples.tone(1.25, 48000, 1)
    chunks = [tone[i:i + 4000] for i in range(0, len(tone), 4000)]
    streamed = Audio(None, 48000, opener=lambda: iter(chunks), channels=1, duration=1.25)
    path, media_type, back = written(streamed, tmp_path, deliver=True)
    assert media_type == "audio/wav" and (back.rate, back.channels) == (48000, 1)
    assert np.abs(back.samples - tone).max() < 1 / 32767 + 1e-6


def test_a_failed_write_leaves_no_file_behind(tmp_path):
    def opener(start):
        yield Frame(samples.picture(64, 48, 0), 0.0, 0.04)
        raise RuntimeError("an effect failed halfway")

    broken = Clip(64, 48, 0.08, 2, opener, Fraction(25))
    for deliver in (False, True):
        with pytest.raises(RuntimeError, match="halfway"):
            avio.write(broken, deliver=deliver, directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_frame_of_another_size_than_the_first_is_an_error(tmp_path):
    def opener(start):
        yield Frame(samples.picture(64, 48, 0), 0.0, 0.04)
        yield Frame(samples.picture(32, 24, 1), 0.04, 0.04)

    with pytest.raises(ValueError, match="32x24"):
        avio.write(Clip(64, 48, 0.08, 2, opener, Fraction(25)), deliver=True,
                   directory=tmp_path)


def test_an_intermediate_holds_the_exact_pixels_times_and_sound(tmp_path):
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (30, 41, 3), dtype=np.uint8) for _ in range(5)]
    durations = [0.05, 0.013, 0.2, 0.04, 0.5]
    sound = Audio(rng.uniform(-0.5, 0.5, (40000, 2)).astype(np.float32), 44100)
    clip = from_frames(images, durations, sound)
    _, _, back = written(clip, tmp_path, deliver=False)
    frames = list(back.frames())
    assert all(np.array_equal(f.image, i) for f, i in zip(frames, images))
    assert [round(f.duration, 6) for f in frames] == durations
    assert back.audio.samples.shape == (40000, 2)
    # FLAC keeps the 16-bit sound exactly.
    assert np.abs(back.audio.samples - sound.samples).max() < 1 / 32767 + 1e-6


def test_an_animation_too_big_for_an_image_encoder_is_delivered_as_video(tmp_path):
    frames = from_frames(_pictures(), [0.1] * 6, format="GIF", loop=0)
    # Facts that say a million frames: an image encoder would hold them all.
    long = frames.with_(count=1_000_000)
    assert avio.write(frames, deliver=True, directory=tmp_path)[1] == "image/gif"
    assert avio.write(long, deliver=True, directory=tmp_path)[1] == "video/mp4"
