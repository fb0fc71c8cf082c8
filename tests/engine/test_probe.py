"""engine.probe: the facts of real files, as cameras, phones and editors write them."""

from __future__ import annotations

import os
import threading

import pytest

from engine.errors import DecodeError, TooLarge
from engine.probe import probe
from tests import media_samples as samples


def cut(path, keep: float = 2 / 3):
    """The file cut short, as an interrupted upload leaves it."""
    data = path.read_bytes()
    short = path.with_name(f"cut-{path.name}")
    short.write_bytes(data[:int(len(data) * keep)])
    return short


@pytest.mark.parametrize("full", [False, True])
def test_an_h264_mp4_with_b_frames_and_stereo_aac_at_48k(tmp_path, full):
    clip = samples.h264_clip(tmp_path / "c.mp4", size=(176, 144), seconds=2, fps=25,
                             audio="stereo", rate=48000)
    facts = probe(clip, full=full)
    assert (facts.kind, facts.media_type, facts.format) == ("video", "video/mp4", "mp4")
    assert (facts.width, facts.height, facts.frames, facts.fps) == (176, 144, 50, 25.0)
    assert facts.duration == pytest.approx(2.0, abs=0.05)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert (facts.sample_rate, facts.channels, facts.rotation) == (48000, 2, 0)
    assert facts.has_video and facts.has_audio


def test_a_clip_with_no_sound_has_no_sound_facts(tmp_path):
    facts = probe(samples.h264_clip(tmp_path / "quiet.mp4", size=(97, 61)), full=True)
    assert (facts.width, facts.height) == (97, 61)
    assert facts.has_video and not facts.has_audio
    assert facts.audio_codec is None and facts.sample_rate is None and facts.channels is None


def test_a_variable_frame_rate_clip_counts_its_frames_and_averages_its_rate(tmp_path):
    clip = samples.h264_clip(tmp_path / "vfr.mp4", seconds=2, vfr=True)
    facts = probe(clip, full=True)
    times = samples.frame_times(seconds=2, fps=25, vfr=True)
    assert facts.frames == len(times)
    assert facts.duration == pytest.approx(2.0, abs=0.05)
    assert facts.fps == pytest.approx(len(times) / 2.0, rel=0.05)


@pytest.mark.parametrize("make,media_type,fmt,codecs", [
    (lambda p: samples.webm_vp9(p / "c.webm", audio="stereo"), "video/webm", "webm",
     ("vp9", "opus")),
    (lambda p: samples.webm_vp8(p / "c.webm"), "video/webm", "webm", ("vp8", None)),
    (lambda p: samples.mkv(p / "c.mkv", audio="mono"), "video/x-matroska", "matroska",
     ("h264", "aac")),
    (lambda p: samples.mov(p / "c.mov", audio="stereo"), "video/quicktime", "mov",
     ("h264", "aac")),
    (lambda p: samples.hevc_clip(p / "c.mp4"), "video/mp4", "mp4", ("hevc", None)),
    # No index to seek in: its last pictures are found by decoding from the start.
    (lambda p: samples.video(p / "c.ts", audio="stereo"), "video/mp2t", "mpegts",
     ("h264", "aac")),
])
def test_each_video_container_is_named_with_its_codecs(tmp_path, make, media_type, fmt, codecs):
    facts = probe(make(tmp_path), full=True)
    assert (facts.kind, facts.media_type, facts.format) == ("video", media_type, fmt)
    assert (facts.video_codec, facts.audio_codec) == codecs
    assert (facts.width, facts.height, facts.frames) == (176, 144, 50)
    assert facts.duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("make,media_type,codec,rate,channels", [
    (lambda p: samples.mp3(p / "s.mp3", rate=44100, channels=1), "audio/mpeg", "mp3", 44100, 1),
    (lambda p: samples.flac(p / "s.flac", rate=48000, channels=2), "audio/flac", "flac", 48000, 2),
    (lambda p: samples.wav(p / "s.wav", rate=44100, channels=2), "audio/wav", "pcm_s16le",
     44100, 2),
    (lambda p: samples.opus(p / "s.opus", channels=2), "audio/ogg", "opus", 48000, 2),
    (lambda p: samples.aac(p / "s.m4a", rate=44100, channels=2), "audio/mp4", "aac", 44100, 2),
])
def test_sound_alone_is_audio_with_its_codec_rate_and_channels(tmp_path, make, media_type, codec,
                                                               rate, channels):
    facts = probe(make(tmp_path), full=True)
    assert (facts.kind, facts.media_type, facts.audio_codec) == ("audio", media_type, codec)
    assert (facts.sample_rate, facts.channels) == (rate, channels)
    assert facts.duration == pytest.approx(2.0, abs=0.1)
    assert facts.width is facts.height is facts.fps is facts.video_codec is None
    assert facts.has_audio and not facts.has_video


def test_a_phone_clip_held_upright_is_portrait(tmp_path):
    # Phones store the sensor's landscape pictures and a display matrix that
    # turns them a quarter clockwise (FFmpeg reads it as -90).
    clip = samples.h264_clip(tmp_path / "phone.mp4", size=(176, 144), rotation=-90)
    facts = probe(clip)
    assert (facts.width, facts.height, facts.rotation) == (144, 176, 90)
    upside_down = probe(samples.h264_clip(tmp_path / "flip.mp4", size=(176, 144), rotation=180))
    assert (upside_down.width, upside_down.height, upside_down.rotation) == (176, 144, 180)


def test_an_animated_gif_has_its_frames_and_their_timing(tmp_path):
    gif = samples.animated_gif(tmp_path / "a.gif", frames=5, durations=[80, 90, 100, 110, 120])
    facts = probe(gif, full=True)
    assert (facts.kind, facts.media_type, facts.format) == ("animation", "image/gif", "GIF")
    assert (facts.width, facts.height, facts.frames) == (32, 24, 5)
    assert facts.duration == pytest.approx(0.5) and facts.fps == pytest.approx(10.0)


def test_an_animated_webp_has_its_timing_too(tmp_path):
    webp = samples.animated_webp(tmp_path / "a.webp", frames=4, durations=[100, 200, 300, 400])
    facts = probe(webp)
    assert (facts.kind, facts.frames, facts.duration) == ("animation", 4, pytest.approx(1.0))


def test_a_multipage_tiff_is_an_animation_of_its_pages(tmp_path):
    facts = probe(samples.multipage_tiff(tmp_path / "scan.tif", pages=3, size=(40, 30)),
                  full=True)
    assert (facts.kind, facts.media_type, facts.format) == ("animation", "image/tiff", "TIFF")
    assert (facts.width, facts.height, facts.frames) == (40, 30, 3)


@pytest.mark.parametrize("suffix,media_type", [
    (".bmp", "image/bmp"), (".tif", "image/tiff"), (".png", "image/png"),
    (".webp", "image/webp"), (".jpg", "image/jpeg")])
def test_stills_of_every_format_are_stills(tmp_path, suffix, media_type):
    facts = probe(samples.still(tmp_path / f"s{suffix}", size=(97, 61)), full=True)
    assert (facts.kind, facts.media_type, facts.width, facts.height) == ("still", media_type,
                                                                         97, 61)
    assert (facts.frames, facts.duration, facts.fps) == (1, 0.0, None)


def test_a_jpeg_whose_exif_turns_it_a_quarter_swaps_its_sides(tmp_path):
    facts = probe(samples.jpeg_with_exif_orientation(tmp_path / "p.jpg", orientation=6,
                                                     size=(48, 32)))
    assert (facts.width, facts.height, facts.rotation) == (32, 48, 90)


def test_a_decompression_bomb_is_too_large_before_any_decoding(tmp_path):
    with pytest.raises(TooLarge) as raised:
        probe(samples.big_still(tmp_path / "bomb.png"), full=True, max_frame_pixels=40_000_000)
    assert (raised.value.info.width, raised.value.info.height) == (30000, 30000)
    assert "40000000" in str(raised.value)


def test_a_video_frame_over_the_limit_is_too_large_with_its_facts(tmp_path):
    clip = samples.h264_clip(tmp_path / "c.mp4", size=(176, 144))
    with pytest.raises(TooLarge) as raised:
        probe(clip, full=True, max_frame_pixels=176 * 144 - 1)
    assert raised.value.info.media_type == "video/mp4" and raised.value.info.frames == 50


def test_an_mp4_cut_short_is_refused(tmp_path):
    # FFmpeg writes the index last, as most cameras do: the cut file has none.
    with pytest.raises(DecodeError, match="truncated"):
        probe(cut(samples.h264_clip(tmp_path / "c.mp4", audio="stereo")))


def test_a_cut_file_whose_header_reads_is_caught_by_the_full_read_only(tmp_path):
    # Matroska writes its duration up front: the header reads, the packets stop short.
    short = cut(samples.mkv(tmp_path / "c.mkv", seconds=3, audio="stereo"))
    assert probe(short).kind == "video"
    with pytest.raises(DecodeError, match="truncated"):
        probe(short, full=True)


@pytest.mark.parametrize("make", [
    lambda p: samples.wav(p / "s.wav"), lambda p: samples.flac(p / "s.flac"),
    lambda p: samples.animated_gif(p / "a.gif", frames=8, size=(64, 48)),
    lambda p: samples.still(p / "s.png", size=(320, 240))])
def test_other_files_cut_short_are_caught_on_a_full_read(tmp_path, make):
    with pytest.raises(DecodeError, match="truncated"):
        probe(cut(make(tmp_path)), full=True)


def test_what_the_server_cannot_read_is_refused_with_the_formats_it_can(tmp_path):
    from PIL import Image

    ico = tmp_path / "i.ico"
    Image.new("RGB", (16, 16)).save(ico)
    with pytest.raises(DecodeError, match="ICO images are not read here.*TIFF"):
        probe(ico)
    text = tmp_path / "notes.txt"
    text.write_text("just some notes")
    with pytest.raises(DecodeError, match="MP4, MOV, MKV, WebM"):
        probe(text)


def test_a_playlist_is_never_followed_to_the_files_it_names(tmp_path):
    # FFmpeg's HLS reader opens the segments a playlist names: an upload must
    # never make the server read anything but itself. The segment is a pipe,
    # so opening it is seen (the writer below gets past its open).
    segment = tmp_path / "seg.mp4"
    os.mkfifo(segment)
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile://{segment}\n"
                        "#EXT-X-ENDLIST\n")
    seen = {"probing": True, "opened": False}

    def writer():
        fd = os.open(segment, os.O_WRONLY)  # returns once someone opens it to read
        seen["opened"] = seen["probing"]
        os.close(fd)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with pytest.raises(DecodeError):
            probe(playlist, full=True)
    finally:
        seen["probing"] = False
        release = os.open(segment, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer finish
        thread.join()
        os.close(release)
    assert not seen["opened"]


def mp3_with_cover_art(tmp_path):
    """An MP3 with its album's picture, as music players tag them: FFmpeg
    shows the picture as a one-frame video stream marked attached_pic."""
    import av
    import numpy as np

    plain = samples.mp3(tmp_path / "plain.mp3")
    tagged = tmp_path / "tagged.mp3"
    with av.open(str(plain)) as source, av.open(str(tagged), "w", format="mp3") as out:
        sound = out.add_stream_from_template(source.streams.audio[0])
        cover = out.add_stream("png", rate=1)
        cover.width = cover.height = 32
        cover.pix_fmt = "rgb24"
        cover.disposition = av.stream.Disposition.attached_pic
        picture = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        picture.pts = 0
        out.mux(cover.encode(picture) + cover.encode())
        for packet in source.demux(source.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = sound
                out.mux(packet)
    return tagged


def test_a_song_with_cover_art_is_sound_not_video(tmp_path):
    facts = probe(mp3_with_cover_art(tmp_path), full=True)
    assert (facts.kind, facts.media_type, facts.audio_codec) == ("audio", "audio/mpeg", "mp3")
    assert not facts.has_video and facts.width is None and facts.video_codec is None
