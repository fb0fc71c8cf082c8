import numpy as np
import pytest

from engine import media
from engine.errors import InvalidParams, RecipeError
from engine.recipe import definition_hash, validate_definition
from engine.render import render
from tests import images

LIMIT = 10_000_000
DOG = {"inputs": 1, "steps": [{"effect": "dog", "params": {}}]}
STACK = {"inputs": 2, "steps": [{"effect": "hstack", "params": {}}]}


@pytest.fixture
def two_files(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(images.png(seed=1))
    b.write_bytes(images.png(seed=2))
    return a, b


def test_identity_passes_the_input_through_without_decoding(tmp_path):
    path = tmp_path / "not-even-read.png"
    rendered = render({"steps": [{"effect": "identity"}]}, [path], max_pixels=LIMIT,
                      input_format="PNG")
    assert rendered.passthrough == 0 and rendered.data is None


def test_identity_into_a_named_format_reads_the_inputs_format_from_its_header(two_files):
    same = render({"steps": [{"effect": "identity"}], "output_format": "png"}, [two_files[0]],
                  max_pixels=LIMIT)
    assert same.passthrough == 0 and same.data is None
    other = render({"steps": [{"effect": "identity"}], "output_format": "webp"}, [two_files[0]],
                   max_pixels=LIMIT)
    assert other.passthrough is None and media.decode(other.data, max_pixels=LIMIT).format == "WEBP"


def test_dog_renders_the_same_bytes_every_time(two_files):
    first = render(DOG, [two_files[0]], max_pixels=LIMIT)
    assert first.data == render(DOG, [two_files[0]], max_pixels=LIMIT).data
    assert first.format == "PNG"


def test_output_keeps_the_input_format_unless_the_recipe_names_one(tmp_path):
    path = tmp_path / "in.jpg"
    path.write_bytes(images.encode(images.pattern(), "JPEG"))
    assert media.decode(render(DOG, [path], max_pixels=LIMIT).data, max_pixels=LIMIT).format == "JPEG"
    webp = dict(DOG, output_format="webp")
    assert media.decode(render(webp, [path], max_pixels=LIMIT).data, max_pixels=LIMIT).format == "WEBP"


def test_animated_gif_stays_animated_through_a_recipe(tmp_path):
    path = tmp_path / "anim.gif"
    path.write_bytes(images.animated_gif(frames=4))
    out = media.decode(render(DOG, [path], max_pixels=LIMIT).data, max_pixels=LIMIT)
    assert out.format == "GIF" and len(out.frames) == 4


def test_input_order_matters(two_files):
    a, b = two_files
    ab = render(STACK, [a, b], max_pixels=LIMIT).data
    ba = render(STACK, [b, a], max_pixels=LIMIT).data
    assert ab != ba
    left = media.decode(ab, max_pixels=LIMIT).frames[0][:, :48]
    assert np.array_equal(left, media.decode(a.read_bytes(), max_pixels=LIMIT).frames[0])


def test_wrong_number_of_inputs_is_refused(two_files):
    with pytest.raises(InvalidParams):
        render(DOG, list(two_files), max_pixels=LIMIT)


@pytest.mark.parametrize("definition,message", [
    ({"steps": []}, "steps must be a list"),
    ({"steps": [{"effect": "nope"}]}, "unknown effect"),
    ({"steps": [{"effect": "posterize", "params": {"levels": 1000}}]}, "levels"),
    ({"steps": [{"effect": "invert"}], "inputs": 2}, "takes 1 to 1"),
    ({"steps": [{"effect": "invert"}], "output_format": "bmp"}, "output_format"),
    ({"steps": [{"effect": "invert"}], "extra": 1}, "unknown field"),
    ("not an object", "must be an object"),
])
def test_bad_recipes_are_refused_with_a_reason(definition, message):
    with pytest.raises(RecipeError, match=message):
        validate_definition(definition)


def test_recipe_hash_ignores_key_order_and_spelled_out_defaults():
    short = {"steps": [{"effect": "dog"}]}
    long = {"output_format": None, "steps": [{"params": {}, "effect": "dog"}], "inputs": 1}
    assert definition_hash(short) == definition_hash(long)
    assert definition_hash(short) != definition_hash({"steps": [{"effect": "invert"}]})
