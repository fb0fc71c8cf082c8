import numpy as np
import pytest

from engine import media
from engine.errors import DecodeError, TooLarge
from tests import images

LIMIT = 10_000_000


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
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
