"""Tests for engine.effects: the registry, parameter validation and every effect."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.canonical import is_content_hash
from engine.effects import (
    REGISTRY,
    Effect,
    all_effects,
    apply,
    effect_info,
    get_effect,
    validate_params,
)
from engine.effects._common import gaussian, keep_alpha, kernel_size, luma, rgb_of, to_uint8
from engine.errors import InvalidParams

# Parameters that make each effect do real work (defaults for the rest).
SAMPLE_PARAMS = {
    "resize": {"width": 13},
    "rotate": {"degrees": 90},
    "pixelate": {"block": 4},
}

COLOUR_EFFECTS = [
    "identity", "invert", "grayscale", "sepia", "posterize", "brightness",
    "contrast", "blur", "sharpen", "edge", "dog",
]


def noise(height: int = 24, width: int = 32, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def step_edge(height: int = 32, width: int = 32, dark: int = 40, light: int = 220) -> np.ndarray:
    """Left half dark, right half light, RGB."""
    img = np.full((height, width, 3), light, dtype=np.uint8)
    img[:, : width // 2] = dark
    return img


def run(name: str, imgs, params=None) -> np.ndarray:
    if isinstance(imgs, np.ndarray):
        imgs = [imgs]
    if params is None:
        params = SAMPLE_PARAMS.get(name, {})
    return apply(get_effect(name), imgs, params)


def inputs_for(effect: Effect, channels: int) -> list[np.ndarray]:
    count = effect.min_inputs
    return [noise(24, 32 + 4 * i, channels, seed=i) for i in range(count)]


ALL_NAMES = sorted(REGISTRY)


# --- every effect -----------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("channels", [3, 4])
def test_every_effect_is_deterministic_and_returns_a_valid_uint8_frame(name, channels):
    effect = get_effect(name)
    imgs = inputs_for(effect, channels)
    first = run(name, imgs)
    second = run(name, [img.copy() for img in imgs])
    assert first.dtype == np.uint8
    assert first.ndim == 3 and first.shape[2] == channels
    assert first.shape[0] >= 1 and first.shape[1] >= 1
    assert np.array_equal(first, second)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_effect_leaves_its_input_untouched(name):
    imgs = inputs_for(get_effect(name), 4)
    before = [img.copy() for img in imgs]
    run(name, imgs)
    for img, original in zip(imgs, before):
        assert np.array_equal(img, original)


@pytest.mark.parametrize("name", COLOUR_EFFECTS)
def test_colour_effects_keep_the_alpha_channel_untouched(name):
    img = noise(20, 28, 4)
    out = run(name, img)
    assert out.shape == img.shape
    assert np.array_equal(out[:, :, 3], img[:, :, 3])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_content_hash_is_64_hex_and_stable(name):
    effect = get_effect(name)
    assert is_content_hash(effect.content_hash)
    assert effect.content_hash == effect.content_hash
    rebuilt = Effect(name=effect.name, fn=effect.fn, params=effect.params, description="x")
    assert rebuilt.content_hash == effect.content_hash


def test_content_hashes_differ_between_effects():
    hashes = {effect.content_hash for effect in all_effects()}
    assert len(hashes) == len(REGISTRY)


def test_content_hash_follows_the_module_that_defines_the_function():
    invert = get_effect("invert")
    moved = Effect(name="invert", fn=get_effect("blur").fn, params=(), description="")
    assert moved.content_hash != invert.content_hash


@pytest.mark.parametrize("name", ALL_NAMES)
def test_effect_info_is_json_serializable_and_complete(name):
    info = effect_info(get_effect(name))
    decoded = json.loads(json.dumps(info))
    assert decoded["name"] == name
    assert set(decoded) == {"name", "description", "inputs", "params", "content_hash"}
    assert decoded["description"]
    for param in decoded["params"]:
        assert set(param) == {"name", "type", "default", "minimum", "maximum", "choices", "help"}
        assert param["type"] in ("int", "float", "bool", "choice")


def test_all_effects_lists_the_registry_sorted_by_name():
    names = [effect.name for effect in all_effects()]
    assert names == sorted(names)
    expected = {
        "identity", "dog", "invert", "grayscale", "sepia", "blur", "sharpen", "posterize",
        "pixelate", "edge", "resize", "rotate", "flip", "brightness", "contrast", "hstack",
    }
    assert expected <= set(names)


# --- registry and parameter validation -----------------------------------------


def test_get_effect_of_an_unknown_name_raises_and_lists_the_known_ones():
    with pytest.raises(InvalidParams) as caught:
        get_effect("sparkle")
    message = str(caught.value)
    assert "unknown effect 'sparkle'" in message
    assert "dog" in message and "invert" in message


def test_validate_params_fills_defaults_with_sorted_keys():
    params = validate_params(get_effect("dog"), None)
    assert list(params) == sorted(params)
    assert params["sigma"] == 1.4 and params["levels"] == 5
    assert validate_params(get_effect("identity"), {}) == {}


def test_validate_params_converts_an_int_to_float_for_float_params():
    params = validate_params(get_effect("blur"), {"sigma": 3})
    assert params == {"sigma": 3.0} and isinstance(params["sigma"], float)


def test_validate_params_accepts_an_integral_float_for_an_int_param():
    params = validate_params(get_effect("posterize"), {"levels": 3.0})
    assert params == {"levels": 3} and isinstance(params["levels"], int)


def test_validate_params_accepts_an_integral_float_for_a_numeric_choice():
    assert validate_params(get_effect("rotate"), {"degrees": 180.0}) == {"degrees": 180}


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("blur", {"radius": 2}, "known: sigma"),
        ("identity", {"x": 1}, "known: (none)"),
        ("posterize", {"levels": True}, "levels"),
        ("blur", {"sigma": False}, "sigma"),
        ("blur", {"sigma": "2"}, "number"),
        ("posterize", {"levels": "4"}, "number"),
        ("posterize", {"levels": 3.5}, "whole number"),
        ("posterize", {"levels": 1}, "between 2 and 256"),
        ("posterize", {"levels": 257}, "between 2 and 256"),
        ("blur", {"sigma": -0.1}, "between 0.0 and 50.0"),
        ("blur", {"sigma": math.nan}, "finite"),
        ("blur", {"sigma": math.inf}, "finite"),
        ("brightness", {"factor": None}, "number"),
        ("flip", {"axis": "diagonal"}, "'horizontal', 'vertical'"),
        ("rotate", {"degrees": 45}, "90, 180, 270"),
        ("rotate", {"degrees": "90"}, "90, 180, 270"),
        ("rotate", {"degrees": True}, "90, 180, 270"),
        ("resize", {}, "width or a height"),
        ("resize", {"width": 0, "height": 0}, "width or a height"),
        ("resize", {"width": 16385}, "between 0 and 16384"),
    ],
)
def test_validate_params_rejects_bad_values_with_a_clear_message(name, params, fragment):
    with pytest.raises(InvalidParams) as caught:
        validate_params(get_effect(name), params)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("params", [[("sigma", 1)], "sigma=1", 3])
def test_validate_params_rejects_params_that_are_not_a_dict(params):
    with pytest.raises(InvalidParams):
        validate_params(get_effect("blur"), params)


def test_apply_validates_params_before_running():
    with pytest.raises(InvalidParams):
        apply(get_effect("blur"), [noise()], {"sigma": 99})


@pytest.mark.parametrize("count", [0, 2])
def test_apply_rejects_the_wrong_number_of_inputs_for_single_input_effects(count):
    with pytest.raises(InvalidParams):
        apply(get_effect("invert"), [noise()] * count, {})


@pytest.mark.parametrize("count", [1, 17])
def test_apply_rejects_the_wrong_number_of_inputs_for_hstack(count):
    with pytest.raises(InvalidParams):
        apply(get_effect("hstack"), [noise(4, 4)] * count, {})


# --- helpers -----------------------------------------------------------------


def test_to_uint8_rounds_half_to_even_and_clips():
    values = np.array([[[0.5, 1.5, 2.5], [-3.0, 254.5, 300.0]]], dtype=np.float32)
    out = to_uint8(values)
    assert out.dtype == np.uint8
    assert out.tolist() == [[[0, 2, 2], [0, 254, 255]]]


def test_rgb_of_then_keep_alpha_round_trips_an_rgba_frame():
    img = noise(5, 6, 4)
    rgb = rgb_of(img)
    assert rgb.shape == (5, 6, 3) and rgb.flags.c_contiguous
    assert np.array_equal(rgb, img[:, :, :3])
    assert np.array_equal(keep_alpha(rgb, img), img)
    three = noise(5, 6, 3)
    assert keep_alpha(three, three) is three


def test_gaussian_keeps_a_constant_image_constant_up_to_the_edges():
    flat = np.full((15, 40, 3), 77, dtype=np.uint8)
    for sigma in (0.3, 1.4, 12.0, 50.0):
        assert np.array_equal(gaussian(flat, sigma), flat)


@pytest.mark.parametrize("sigma", [0.3, 0.5, 1.4, 2.24, 5.0, 12.0, 50.0])
def test_gaussian_of_a_step_is_within_one_level_of_the_ideal_gaussian(sigma):
    # Black to white at x = 400: each output is 255 times the part of the
    # (sampled, normalised) gaussian that falls on the white side.
    width = 801
    img = np.zeros((3, width, 3), dtype=np.uint8)
    img[:, 400:] = 255
    out = gaussian(img, sigma)[1, :, 0].astype(np.float64)
    reach = kernel_size(sigma) // 2
    offsets = np.arange(-reach, reach + 1)
    weights = np.exp(-(offsets**2) / (2.0 * sigma * sigma))
    weights /= weights.sum()
    ideal = np.array([255.0 * weights[x + offsets >= 400].sum() for x in range(width)])
    assert np.abs(out - ideal).max() <= 1.0
    assert out[0] == 0 and out[-1] == 255


def test_luma_of_white_and_black_is_white_and_black():
    frame = np.array([[[255, 255, 255], [0, 0, 0]]], dtype=np.uint8)
    assert luma(frame).tolist() == [[255, 0]]


# --- colour effects --------------------------------------------------------------


def test_identity_returns_the_input_unchanged():
    img = noise()
    assert run("identity", img) is img


def test_invert_maps_known_pixels_to_their_negative():
    img = np.array([[[0, 128, 255], [10, 20, 30]]], dtype=np.uint8)
    assert run("invert", img).tolist() == [[[255, 127, 0], [245, 235, 225]]]


def test_invert_twice_gives_back_the_input():
    img = noise(channels=4)
    assert np.array_equal(run("invert", run("invert", img)), img)


def test_grayscale_has_three_equal_channels_and_keeps_black_and_white():
    out = run("grayscale", noise())
    assert out.shape[2] == 3
    assert np.array_equal(out[:, :, 0], out[:, :, 1])
    assert np.array_equal(out[:, :, 1], out[:, :, 2])
    bw = np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)
    assert np.array_equal(run("grayscale", bw), bw)


def test_grayscale_weights_green_above_red_above_blue():
    pure = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    grey = run("grayscale", pure)[0, :, 0]
    assert grey[1] > grey[0] > grey[2]


def test_sepia_with_amount_zero_changes_nothing():
    img = noise()
    assert np.array_equal(run("sepia", img, {"amount": 0.0}), img)


def test_full_sepia_turns_grey_into_warm_brown():
    grey = np.full((3, 3, 3), 100, dtype=np.uint8)
    r, g, b = run("sepia", grey)[0, 0]
    assert r > g > b


@pytest.mark.parametrize("levels", [2, 3, 5, 16])
def test_posterize_leaves_at_most_levels_distinct_values_per_channel(levels):
    out = run("posterize", noise(64, 64), {"levels": levels})
    for channel in range(3):
        assert len(np.unique(out[:, :, channel])) <= levels
    assert {0, 255} <= set(np.unique(out).tolist())


def test_posterize_with_256_levels_is_the_identity():
    img = noise()
    assert np.array_equal(run("posterize", img, {"levels": 256}), img)


def test_brightness_scales_and_clips():
    img = np.array([[[10, 100, 200]]], dtype=np.uint8)
    assert run("brightness", img, {"factor": 2.0}).tolist() == [[[20, 200, 255]]]
    assert run("brightness", img, {"factor": 0.0}).tolist() == [[[0, 0, 0]]]
    assert np.array_equal(run("brightness", img, {"factor": 1.0}), img)


def test_contrast_zero_is_flat_mid_grey_and_one_is_unchanged():
    img = noise()
    assert np.all(run("contrast", img, {"factor": 0.0}) == 128)
    assert np.array_equal(run("contrast", img, {"factor": 1.0}), img)


def test_more_contrast_spreads_values_away_from_mid_grey():
    img = np.array([[[100, 150, 128]]], dtype=np.uint8)
    assert run("contrast", img, {"factor": 2.0}).tolist() == [[[72, 172, 128]]]


# --- filters -----------------------------------------------------------------


def test_blur_reduces_the_variance_of_noise():
    img = noise(64, 64)
    out = run("blur", img, {"sigma": 2.0})
    assert out.astype(float).var() < img.astype(float).var() / 4


def test_blur_with_sigma_zero_is_the_identity():
    img = noise()
    assert np.array_equal(run("blur", img, {"sigma": 0.0}), img)


def test_blur_keeps_a_flat_image_flat():
    flat = np.full((20, 30, 3), 93, dtype=np.uint8)
    assert np.array_equal(run("blur", flat, {"sigma": 7.5}), flat)


def test_stronger_blur_smooths_more():
    img = noise(64, 64)
    variances = [run("blur", img, {"sigma": s}).astype(float).var() for s in (0.5, 1.0, 3.0)]
    assert variances[0] > variances[1] > variances[2]


def test_sharpen_increases_the_variance_of_a_soft_image():
    soft = run("blur", noise(64, 64), {"sigma": 1.5})
    out = run("sharpen", soft, {"amount": 2.0, "sigma": 1.0})
    assert out.astype(float).var() > soft.astype(float).var() * 1.5


def test_sharpen_with_amount_zero_is_the_identity():
    img = noise()
    assert np.array_equal(run("sharpen", img, {"amount": 0.0, "sigma": 1.0}), img)


def test_edge_responds_on_a_step_edge_and_is_zero_on_flat_areas():
    out = run("edge", step_edge(dark=0, light=255))
    assert out.shape == (32, 32, 3)
    assert np.all(out[:, 15:17] == 255)
    assert np.all(out[:, :14] == 0) and np.all(out[:, 18:] == 0)
    assert np.array_equal(out[:, :, 0], out[:, :, 2])


def test_edge_strength_scales_the_response():
    img = step_edge(dark=100, light=140)
    weak = run("edge", img, {"strength": 1.0})[:, 16, 0].astype(int)
    strong = run("edge", img, {"strength": 3.0})[:, 16, 0].astype(int)
    assert np.all(strong >= 3 * weak - 3) and strong.max() > weak.max()


def _scene() -> np.ndarray:
    """Gradient sky, striped ground and a few shapes, with mild noise: a small "photo"."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:96, :128].astype(np.float32)
    img = np.empty((96, 128, 3), dtype=np.float32)
    img[..., 0] = 60 + yy
    img[..., 1] = 110 + yy
    img[..., 2] = 235 - yy / 2
    ground = yy >= 40
    stripes = 25 * np.sin(xx / 3 + yy / 5)
    img[ground] = np.stack([90 + stripes, 150 + stripes, 50 + stripes / 2], axis=-1)[ground]
    img[(yy - 30) ** 2 + (xx - 90) ** 2 < 15**2] = (240, 210, 40)
    img[55:85, 20:60] = (150, 40, 40)
    img += rng.normal(0.0, 6.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def test_dog_differs_strongly_from_its_input():
    img = _scene()
    out = run("dog", img)
    mean_abs_diff = np.abs(out.astype(float) - img.astype(float)).mean()
    assert mean_abs_diff > 20


def test_dog_draws_dark_lines_at_a_step_edge_and_none_on_flat_areas():
    out = run("dog", step_edge(64, 64, dark=60, light=200))
    luma = out.astype(float).mean(axis=2)
    line = luma[:, 26:32].min(axis=1)  # dark side, just left of the edge at x=32
    assert np.all(line < 15)
    assert np.all(luma[:, :16] > 40)  # flat dark area keeps its colour
    assert np.all(luma[:, 40:] > 180)  # flat light area stays light


def test_dog_fills_areas_away_from_lines_with_few_posterized_colours():
    levels = 5
    out = run("dog", _scene(), {"levels": levels})
    allowed = {round(i * 255 / (levels - 1)) for i in range(levels)}
    on_levels = np.isin(out, list(allowed)).all(axis=2)
    assert on_levels.mean() > 0.8  # only ink lines leave the palette
    for channel in range(3):
        values, counts = np.unique(out[:, :, channel], return_counts=True)
        assert counts[np.isin(values, list(allowed))].sum() > 0.8 * out.shape[0] * out.shape[1]


def test_dog_line_strength_zero_gives_only_flat_colour():
    levels = 4
    out = run("dog", _scene(), {"levels": levels, "line_strength": 0.0})
    allowed = [round(i * 255 / (levels - 1)) for i in range(levels)]
    assert np.isin(out, allowed).all()


# --- geometry ----------------------------------------------------------------


def test_rotate_90_of_a_non_square_frame_swaps_dimensions_and_matches_rot90():
    img = noise(10, 17, 4)
    out = run("rotate", img, {"degrees": 90})
    assert out.shape == (17, 10, 4)
    assert np.array_equal(out, np.rot90(img))


def test_rotate_90_is_counter_clockwise():
    img = np.zeros((2, 2, 3), dtype=np.uint8)
    img[0, 1] = 255  # top-right
    assert run("rotate", img, {"degrees": 90})[0, 0].tolist() == [255, 255, 255]  # to top-left


@pytest.mark.parametrize("degrees, turns", [(180, 2), (270, 3)])
def test_rotate_180_and_270_match_rot90(degrees, turns):
    img = noise(9, 14)
    assert np.array_equal(run("rotate", img, {"degrees": degrees}), np.rot90(img, turns))


def test_four_quarter_turns_give_back_the_input():
    img = noise(9, 14)
    out = img
    for _ in range(4):
        out = run("rotate", out, {"degrees": 90})
    assert np.array_equal(out, img)


def test_flip_matches_numpy_mirroring():
    img = noise(9, 14, 4)
    assert np.array_equal(run("flip", img, {"axis": "horizontal"}), img[:, ::-1])
    assert np.array_equal(run("flip", img, {"axis": "vertical"}), img[::-1])


def test_resize_to_an_exact_size():
    out = run("resize", noise(20, 40), {"width": 10, "height": 7})
    assert out.shape == (7, 10, 3)


def test_resize_with_only_a_width_keeps_the_aspect_ratio():
    assert run("resize", noise(20, 40, 4), {"width": 10}).shape == (5, 10, 4)


def test_resize_with_only_a_height_keeps_the_aspect_ratio():
    assert run("resize", noise(20, 40), {"height": 30}).shape == (30, 60, 3)


@pytest.mark.parametrize("resample", ["nearest", "bilinear", "bicubic", "lanczos"])
def test_resize_keeps_a_flat_image_flat_with_every_filter(resample):
    flat = np.full((16, 16, 3), 61, dtype=np.uint8)
    out = run("resize", flat, {"width": 23, "height": 9, "resample": resample})
    assert out.shape == (9, 23, 3) and np.all(out == 61)


def test_resize_nearest_by_two_duplicates_pixels():
    img = noise(4, 5)
    out = run("resize", img, {"width": 10, "height": 8, "resample": "nearest"})
    assert np.array_equal(out, img.repeat(2, axis=0).repeat(2, axis=1))


def test_resize_refuses_an_output_side_over_the_limit():
    with pytest.raises(InvalidParams):
        run("resize", noise(2, 200), {"height": 16384})


def test_pixelate_yields_constant_blocks_even_when_sizes_do_not_divide():
    img = noise(23, 30, 4)
    block = 8
    out = run("pixelate", img, {"block": block})
    assert out.shape == img.shape
    for top in range(0, 23, block):
        for left in range(0, 30, block):
            tile = out[top : top + block, left : left + block].reshape(-1, 4)
            assert (tile == tile[0]).all()


def test_pixelate_uses_the_mean_of_each_block_including_ragged_edges():
    img = np.zeros((3, 5, 3), dtype=np.uint8)
    img[:, :, 0] = np.arange(15, dtype=np.uint8).reshape(3, 5) * 10
    out = run("pixelate", img, {"block": 2})
    source = img[:, :, 0].astype(float)
    assert out[0, 0, 0] == np.rint(source[0:2, 0:2].mean())
    assert out[2, 4, 0] == source[2, 4]  # a 1x1 ragged corner block is itself
    assert out[0, 4, 0] == np.rint(source[0:2, 4].mean())


def test_pixelate_with_block_one_is_the_identity():
    img = noise()
    assert np.array_equal(run("pixelate", img, {"block": 1}), img)


def test_pixelate_ignores_the_colour_of_fully_transparent_pixels():
    img = np.zeros((2, 2, 4), dtype=np.uint8)
    img[0, 0] = (200, 100, 50, 255)
    img[0, 1] = (0, 255, 0, 0)  # invisible green must not tint the block
    out = run("pixelate", img, {"block": 2})
    assert out[0, 0].tolist() == [200, 100, 50, 64]


@pytest.mark.parametrize(
    "name, params", [("rotate", {"degrees": 270}), ("flip", {"axis": "vertical"})]
)
def test_geometric_effects_move_alpha_with_colour(name, params):
    img = noise(7, 12, 4)
    out = run(name, img, params)
    expected = run(name, img[:, :, :3], params)
    assert np.array_equal(out[:, :, :3], expected)
    transform = (lambda a: np.rot90(a, 3)) if name == "rotate" else (lambda a: a[::-1])
    assert np.array_equal(out[:, :, 3], transform(img[:, :, 3]))


# --- compositing ---------------------------------------------------------------


def test_hstack_places_inputs_left_to_right_and_widths_add_up():
    a = np.full((10, 6, 3), 10, dtype=np.uint8)
    b = np.full((10, 4, 3), 200, dtype=np.uint8)
    out = run("hstack", [a, b])
    assert out.shape == (10, 10, 3)
    assert np.all(out[:, :6] == 10) and np.all(out[:, 6:] == 200)


def test_hstack_order_matters():
    a, b = noise(10, 6, seed=1), noise(10, 4, seed=2)
    assert not np.array_equal(run("hstack", [a, b]), run("hstack", [b, a]))
    assert np.array_equal(run("hstack", [b, a])[:, :4], b)


def test_hstack_scales_inputs_to_the_first_height_keeping_aspect():
    first = noise(10, 6)
    tall = np.full((20, 8, 3), 90, dtype=np.uint8)
    out = run("hstack", [first, tall, first])
    assert out.shape == (10, 6 + 4 + 6, 3)
    assert np.all(out[:, 6:10] == 90)


def test_hstack_gives_opaque_alpha_to_inputs_without_it():
    rgb = noise(8, 5, 3)
    rgba = noise(8, 3, 4)
    out = run("hstack", [rgb, rgba])
    assert out.shape == (8, 8, 4)
    assert np.all(out[:, :5, 3] == 255)
    assert np.array_equal(out[:, :5, :3], rgb)
    assert np.array_equal(out[:, 5:], rgba)


def test_hstack_refuses_to_blow_up_a_wide_input():
    with pytest.raises(InvalidParams):
        run("hstack", [noise(4000, 2), noise(1, 8)])
