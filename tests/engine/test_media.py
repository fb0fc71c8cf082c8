import io

import numpy as np
import pytest
from PIL import Image

from engine import media
from engine.errors import DecodeError, TooLarge
from tests import images
from tests import media_samples as samples

LIMIT = 10_000_000


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "TIFF", "BMP"])
def test_every_supported_format_decodes_and_encodes_back_to_itself(fmt):
    data = images.encode(images.pattern(), fmt)
    decoded = media.decode(data, max_pixels=LIMIT)
    assert decoded.format == fmt
    assert decoded.frames[0].shape[:2] == (32, 48)
    again = media.decode(media.encode(decoded), max_pixels=LIMIT)
    assert again.format == fmt and again.frames[0].shape[:2] == (32, 48)


def test_animated_gif_keeps_every_frame_and_duration():
    decoded = media.decode(images.animated_gif(frames=5), max_pixels=LIMIT)
    assert len(decoded.frames) == 5
    assert decoded.durations == [80, 90, 100, 110, 120]
    again = media.decode(media.encode(decoded), max_pixels=LIMIT)
    assert len(again.frames) == 5 and again.durations == decoded.durations


def test_png_alpha_survives_a_round_trip():
    rgba = images.pattern(alpha=True)
    decoded = media.decode(images.encode(rgba), max_pixels=LIMIT)
    assert decoded.frames[0].shape[2] == 4
    assert np.array_equal(decoded.frames[0], rgba)


def test_encoding_is_deterministic():
    decoded = media.decode(images.png(), max_pixels=LIMIT)
    assert media.encode(decoded) == media.encode(decoded)


def test_a_truncated_png_is_a_decode_error():
    data = images.png(200, 200)
    with pytest.raises(DecodeError):
        media.probe(data[: len(data) // 2], max_pixels=LIMIT)


def test_text_is_not_an_image():
    with pytest.raises(DecodeError, match="not an image"):
        media.probe(b"hello, I am a text file\n", max_pixels=LIMIT)


def test_a_decompression_bomb_is_refused_from_its_header():
    with pytest.raises(TooLarge, match="over the limit"):
        media.probe(images.bomb_png(), max_pixels=LIMIT)


def test_frame_count_counts_towards_the_pixel_limit():
    gif = images.animated_gif(frames=10, width=32, height=24)
    with pytest.raises(TooLarge):
        media.decode(gif, max_pixels=32 * 24 * 9)
    assert len(media.decode(gif, max_pixels=32 * 24 * 10).frames) == 10


def test_a_multipage_tiff_decodes_every_page_and_encodes_them_back(tmp_path):
    path = samples.multipage_tiff(tmp_path / "pages", pages=4)
    info = media.image_info(path)
    assert (info.format, info.media_type, info.frames) == ("TIFF", "image/tiff", 4)
    decoded = media.decode(path, max_pixels=LIMIT)
    assert len(decoded.frames) == 4
    again = media.decode(media.encode(decoded), max_pixels=LIMIT)
    assert all(np.array_equal(a, b) for a, b in zip(again.frames, decoded.frames))
    assert media.encode(decoded) == media.encode(again)


def test_image_frames_come_one_at_a_time_in_order(tmp_path):
    path = samples.animated_gif(tmp_path / "anim", frames=4)
    frames = media.image_frames(path)
    assert samples.frame_index(next(frames)) == 0
    assert [samples.frame_index(f) for f in frames] == [1, 2, 3]
    assert media.image_durations(path) == [80, 90, 100, 110]


def test_webp_frame_durations_are_read(tmp_path):
    path = samples.animated_webp(tmp_path / "anim", frames=3, durations=[40, 250, 70])
    assert media.image_durations(path) == [40, 250, 70]


@pytest.mark.parametrize("orientation,swapped", [(1, False), (3, False), (6, True), (8, True)])
def test_the_header_gives_the_size_as_the_exif_orientation_shows_it(tmp_path, orientation,
                                                                    swapped):
    path = samples.jpeg_with_exif_orientation(tmp_path / "photo", orientation=orientation)
    info = media.image_info(path)
    assert info.orientation == orientation
    assert (info.width, info.height) == ((32, 48) if swapped else (48, 32))
    shown = next(media.image_frames(path))
    assert shown.shape[:2] == (info.height, info.width)
    assert np.abs(shown.astype(int) - samples.ORIENTATIONS[orientation](
        samples.picture(48, 32))).mean() < 6


def test_sixteen_bit_grey_keeps_its_tones_instead_of_clipping_to_white(tmp_path):
    ramp = (np.arange(64, dtype=np.uint16)[None, :].repeat(8, axis=0) * 1024)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    image = next(media.image_frames(path))
    assert image.shape == (8, 64, 3)
    assert np.array_equal(image[0, :, 0], (np.arange(64) * 4).astype(np.uint8))


def test_a_gif_that_plays_once_still_plays_once_after_encoding():
    frames = [images.pattern(seed=i) for i in range(3)]
    pictures = [Image.fromarray(f) for f in frames]
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=100)
    decoded = media.decode(out.getvalue(), max_pixels=LIMIT)
    assert decoded.loop is None
    assert "loop" not in Image.open(io.BytesIO(media.encode(decoded))).info
    looping = media.Media("GIF", decoded.frames, decoded.durations, 0)
    assert Image.open(io.BytesIO(media.encode(looping))).info["loop"] == 0


def test_a_camera_jpeg_with_a_preview_is_one_jpeg_frame(tmp_path):
    path = tmp_path / "camera.jpg"
    first, preview = Image.fromarray(images.pattern()), Image.fromarray(images.pattern(seed=1))
    first.save(path, format="MPO", save_all=True, append_images=[preview])
    assert Image.open(path).format == "MPO"
    info = media.image_info(path)
    assert (info.format, info.frames) == ("JPEG", 1)
    assert len(media.decode(path, max_pixels=LIMIT).frames) == 1


def test_a_still_can_remember_the_format_it_came_in(tmp_path):
    path = tmp_path / "step.png"
    media.save(path, media.Media("PNG", [images.pattern()]), kept_format="JPEG")
    assert media.image_info(path).kept_format == "JPEG"
    media.save(path, media.Media("PNG", [images.pattern()]))
    assert media.image_info(path).kept_format is None
