"""Each effect's kernels give exactly the pixels of a plain numpy statement
of what the effect computes: the integer or fixed-point formula, written
out here pixel for pixel. Together with tests/engine/test_effect_bytes.py
(the same bytes under every instruction set and thread count) this pins
the output of every effect to its formula, not to one library's build."""

import math

import numpy as np
import pytest

from engine import effects
from engine.effects._common import gaussian, kernel_size, quantize
from engine.effects.color import sepia_matrix
from engine.effects.filters import ink_table
from tests.media_samples import picture

RNG = np.random.default_rng(3)
# Every value in every channel, RGB and RGBA, odd sizes, a photo-like picture
# and a non-contiguous view.
ALL_VALUES = np.arange(256, dtype=np.uint8).repeat(12).reshape(48, 64, 1).repeat(3, axis=2)
RGBA = np.concatenate([RNG.integers(0, 256, (33, 47, 3), dtype=np.uint8),
                       RNG.integers(0, 256, (33, 47, 1), dtype=np.uint8)], axis=2)
PHOTO = picture(131, 97, 2)
FRAMES = [ALL_VALUES, RGBA, RGBA[::2, 1::3], PHOTO]


def run(name, img, **params):
    effect = effects.get_effect(name)
    return effects.apply(effect, [img], effects.validate_params(effect, params))


def with_alpha(rgb: np.ndarray, img: np.ndarray) -> np.ndarray:
    if img.shape[2] == 3:
        return rgb
    return np.concatenate([rgb, img[:, :, 3:]], axis=2)


def by_formula(img, fn):
    """fn of the float32 colour values, rounded half-to-even and clipped, alpha kept."""
    rgb = img[:, :, :3].astype(np.float32)
    return with_alpha(np.clip(np.rint(fn(rgb)), 0, 255).astype(np.uint8), img)


def luma_formula(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma in 15-bit fixed point, rounded half up (every one of
    the 2^24 colours agrees with OpenCV's conversion; checked once by hand)."""
    r, g, b = (img[:, :, c].astype(np.int64) for c in range(3))
    return ((9798 * r + 19235 * g + 3735 * b + (1 << 14)) >> 15).astype(np.uint8)


def grey(plane: np.ndarray, img: np.ndarray) -> np.ndarray:
    return with_alpha(np.repeat(plane[:, :, None], 3, axis=2), img)


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


def test_invert_is_255_minus_each_colour_value():
    for img in FRAMES:
        assert np.array_equal(run("invert", img), with_alpha(255 - img[:, :, :3], img))


def test_rotate_and_flip_equal_numpy_on_rgba_and_views():
    for img in FRAMES:
        for degrees in (90, 180, 270):
            assert np.array_equal(run("rotate", img, degrees=degrees), np.rot90(img, degrees // 90))
        assert np.array_equal(run("flip", img, axis="horizontal"), img[:, ::-1])
        assert np.array_equal(run("flip", img, axis="vertical"), img[::-1])


@pytest.mark.parametrize("block", [2, 3, 7, 8, 64])
def test_pixelate_equals_the_plain_mean_of_each_block(block):
    img = RNG.integers(0, 256, (70, 45, 3), dtype=np.uint8)
    out = run("pixelate", img, block=block)
    for y in range(0, 70, block):
        for x in range(0, 45, block):
            tile = img[y:y + block, x:x + block].reshape(-1, 3).astype(np.float64)
            assert (out[y:y + block, x:x + block] == np.rint(tile.mean(axis=0))).all()


@pytest.mark.parametrize("amount", [0.0, 0.3, 1.0])
def test_sepia_equals_the_ten_bit_fixed_point_formula(amount):
    weights = np.rint(sepia_matrix(amount).astype(np.float64) * 1024).astype(np.int64)
    for img in FRAMES:
        rgb = img[:, :, :3].astype(np.int64)
        toned = (np.einsum("hwc,oc->hwo", rgb, weights) + 512) >> 10
        expected = with_alpha(np.clip(toned, 0, 255).astype(np.uint8), img)
        assert np.array_equal(run("sepia", img, amount=amount), expected)


def test_sepia_with_amount_one_stays_within_one_level_of_the_float_matrix():
    rgb = PHOTO.astype(np.float64)
    exact = np.clip(np.rint(rgb @ sepia_matrix(1.0).astype(np.float64).T), 0, 255)
    assert np.abs(run("sepia", PHOTO, amount=1.0) - exact).max() <= 1


def test_grayscale_equals_the_fixed_point_luma_formula():
    for img in FRAMES:
        assert np.array_equal(run("grayscale", img), grey(luma_formula(img), img))


def test_grayscale_stays_within_one_level_of_the_float_luma():
    rgb = PHOTO.astype(np.float64)
    exact = np.rint(rgb[:, :, 0] * 0.299 + rgb[:, :, 1] * 0.587 + rgb[:, :, 2] * 0.114)
    assert np.abs(run("grayscale", PHOTO)[:, :, 0] - exact).max() <= 1


def test_blur_is_the_8_bit_gaussian_with_edges_repeated_and_alpha_kept():
    for img in FRAMES:
        out = run("blur", img, sigma=1.7)
        colour = np.ascontiguousarray(img[:, :, :3])
        assert np.array_equal(out, with_alpha(gaussian(colour, 1.7), img))
    assert kernel_size(1.7) == 2 * 6 + 1


@pytest.mark.parametrize("amount", [0.0, 0.37, 1.0, 3.7, 5.0])
def test_sharpen_adds_the_detail_times_the_amount_in_256ths_rounded_once(amount):
    gain = round(amount * 256)
    for img in FRAMES:
        soft = gaussian(np.ascontiguousarray(img), 1.3).astype(np.int64)
        sharp = (256 * img.astype(np.int64) + gain * (img - soft)) / 256.0  # exact in float64
        expected = with_alpha(np.clip(np.rint(sharp), 0, 255).astype(np.uint8)[:, :, :3], img)
        assert np.array_equal(run("sharpen", img, amount=amount, sigma=1.3), expected)


@pytest.mark.parametrize("strength", [0.5, 1.0, 7.0, 0.37])
def test_edge_is_the_rounded_sobel_magnitude_of_the_luma(strength):
    for img in FRAMES:
        p = np.pad(luma_formula(img).astype(np.int64), 1, mode="edge")
        smooth_v = p[:-2] + 2 * p[1:-1] + p[2:]
        gx = smooth_v[:, 2:] - smooth_v[:, :-2]
        diff_v = p[2:] - p[:-2]
        gy = diff_v[:, :-2] + 2 * diff_v[:, 1:-1] + diff_v[:, 2:]
        magnitude = np.sqrt((gx * gx + gy * gy).astype(np.float32))
        plane = np.clip(np.rint(magnitude * np.float32(strength / 4.0)), 0, 255).astype(np.uint8)
        assert np.array_equal(run("edge", img, strength=strength), grey(plane, img))


@pytest.mark.parametrize("params", [{}, {"sigma": 0.3, "k": 1.05, "levels": 2},
                                    {"sigma": 4.0, "k": 3.0, "threshold": 0.0, "sharpness": 3.0,
                                     "levels": 32, "line_strength": 0.5}])
def test_dog_is_the_posterized_smooth_colour_times_the_tabled_ink(params):
    p = effects.validate_params(effects.get_effect("dog"), params)
    for img in FRAMES:
        colour = np.ascontiguousarray(img[:, :, :3])
        smooth = gaussian(colour, p["sigma"])
        narrow = luma_formula(smooth)
        wide = gaussian(narrow, p["sigma"] * math.sqrt(p["k"] ** 2 - 1))
        darker = np.maximum(wide.astype(np.int64) - narrow, 0)
        shade = ink_table(p["threshold"], p["sharpness"], p["line_strength"])[darker]
        flat = np.rint(quantize(smooth.astype(np.float32), p["levels"])).astype(np.int64)
        # Half-to-even division by 128: what rounding an exact float quotient gives.
        out = np.rint((flat * shade[:, :, None]) / 128.0).astype(np.uint8)
        assert np.array_equal(run("dog", img, **params), with_alpha(out, img))


def test_dog_ink_table_is_full_colour_below_the_threshold_and_darkens_past_it():
    table = ink_table(0.01, 100.0, 1.0)
    assert table[0] == table[2] == 128  # 2/255 is under the 0.01 threshold: no ink
    assert table[3] < 128 and table[255] <= 1
    assert np.all(np.diff(table.astype(int)) <= 0)
    assert np.all(ink_table(0.01, 100.0, 0.0) == 128)  # line_strength 0: colour only
