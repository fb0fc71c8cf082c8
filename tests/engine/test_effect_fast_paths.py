"""The fast paths (a lookup table, Pillow's transpose, uint32 block sums)
give exactly the pixels of the plain float/numpy formulas they replace."""

import numpy as np
import pytest

from engine import effects
from engine.effects._common import join_alpha, quantize, split_alpha

RNG = np.random.default_rng(3)
# Every value in every channel, RGB and RGBA, and a non-contiguous view.
ALL_VALUES = np.arange(256, dtype=np.uint8).repeat(12).reshape(48, 64, 1).repeat(3, axis=2)
RGBA = np.concatenate([RNG.integers(0, 256, (33, 47, 3), dtype=np.uint8),
                       RNG.integers(0, 256, (33, 47, 1), dtype=np.uint8)], axis=2)
FRAMES = [ALL_VALUES, RGBA, RGBA[::2, 1::3]]


def run(name, img, **params):
    effect = effects.get_effect(name)
    return effects.apply(effect, [img], effects.validate_params(effect, params))


def by_formula(img, fn):
    rgb, alpha = split_alpha(img)
    return join_alpha(fn(rgb), alpha)


@pytest.mark.parametrize("frame", range(len(FRAMES)))
@pytest.mark.parametrize("factor", [0.0, 0.37, 1.0, 1.3, 4.0])
def test_brightness_and_contrast_tables_equal_the_float_formulas(frame, factor):
    img = FRAMES[frame]
    mid = np.float32(127.5)
    assert np.array_equal(run("brightness", img, factor=factor),
                          by_formula(img, lambda v: v * np.float32(factor)))
    assert np.array_equal(run("contrast", img, factor=factor),
                          by_formula(img, lambda v: (v - mid) * np.float32(factor) + mid))


@pytest.mark.parametrize("levels", [2, 3, 5, 17, 256])
def test_posterize_table_equals_the_float_formula(levels):
    for img in FRAMES:
        assert np.array_equal(run("posterize", img, levels=levels),
                              by_formula(img, lambda v: quantize(v, levels)))


def test_rotate_and_flip_equal_numpy_on_rgba_and_views():
    for img in FRAMES:
        for degrees in (90, 180, 270):
            assert np.array_equal(run("rotate", img, degrees=degrees), np.rot90(img, degrees // 90))
        assert np.array_equal(run("flip", img, axis="horizontal"), img[:, ::-1])
        assert np.array_equal(run("flip", img, axis="vertical"), img[::-1])


@pytest.mark.parametrize("block", [2, 7, 8, 64])
def test_pixelate_equals_the_plain_mean_of_each_block(block):
    img = RNG.integers(0, 256, (70, 45, 3), dtype=np.uint8)
    out = run("pixelate", img, block=block)
    for y in range(0, 70, block):
        for x in range(0, 45, block):
            tile = img[y:y + block, x:x + block].reshape(-1, 3).astype(np.float64)
            assert (out[y:y + block, x:x + block] == np.rint(tile.mean(axis=0))).all()


SEPIA = ((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131))


@pytest.mark.parametrize("amount", [0.0, 0.3, 1.0])
def test_planar_sepia_equals_the_interleaved_float_formula(amount):
    def formula(rgb):
        toned = np.empty_like(rgb)
        for c, (wr, wg, wb) in enumerate(SEPIA):
            toned[:, :, c] = (rgb[:, :, 0] * np.float32(wr) + rgb[:, :, 1] * np.float32(wg)
                              + rgb[:, :, 2] * np.float32(wb))
        return rgb + (toned - rgb) * np.float32(amount)

    for img in FRAMES:
        assert np.array_equal(run("sepia", img, amount=amount), by_formula(img, formula))


def test_grayscale_rounds_once_and_equals_the_three_channel_formula():
    from engine.effects._common import luminance

    for img in FRAMES:
        expected = by_formula(img, lambda rgb: np.repeat(luminance(rgb)[:, :, None], 3, axis=2))
        assert np.array_equal(run("grayscale", img), expected)
