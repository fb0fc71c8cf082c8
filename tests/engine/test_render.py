"""The built-in recipes rendered by the engine alone (engine.dag on a
directory store, no server): the same plan gives the same bytes, the output
keeps the input's format and timing, and inputs bind in order."""

import io

import numpy as np
import pytest
from PIL import Image

from engine.dag import execute, plan as planning
from engine.dag.store import DirectoryStore
from engine.dag.validate import validate
from engine.errors import InvalidParams
from engine.limits import Limits
from runs.builtin import builtin_documents
from tests import images

RECIPES = {name: validate(document) for name, document in builtin_documents().items()}


@pytest.fixture
def store(tmp_path):
    return DirectoryStore(tmp_path / "store")


def render(store, tmp_path, recipe: str, inputs: list[str], **params) -> tuple[bytes, list]:
    ctx = execute.Context(store, Limits(), temp_dir=tmp_path)
    outputs = execute.execute(planning.build(RECIPES[recipe], inputs=inputs, params=params), ctx)
    path, _ = store.find(outputs["output"])
    return path.read_bytes(), ctx.executed


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def test_identity_is_the_input_itself_and_renders_nothing(store, tmp_path):
    picture = store.put(images.png(seed=1), "image/png")
    data, executed = render(store, tmp_path, "identity", [picture])
    assert executed == [] and data == images.png(seed=1)


def test_dog_renders_the_same_bytes_every_time(store, tmp_path):
    picture = store.put(images.png(seed=1), "image/png")
    first, _ = render(store, tmp_path, "dog", [picture])
    again, _ = render(DirectoryStore(tmp_path / "other"), tmp_path, "dog",
                      [DirectoryStore(tmp_path / "other").put(images.png(seed=1), "image/png")])
    assert first == again


def test_the_output_keeps_the_inputs_format(store, tmp_path):
    jpeg = store.put(images.encode(images.pattern(), "JPEG"), "image/jpeg")
    data, _ = render(store, tmp_path, "dog", [jpeg])
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_an_animated_gif_stays_animated_through_a_recipe(store, tmp_path):
    gif = store.put(images.animated_gif(frames=4), "image/gif")
    data, _ = render(store, tmp_path, "pixel-art", [gif], block=2)
    with Image.open(io.BytesIO(data)) as out:
        assert out.format == "GIF" and out.n_frames == 4


def test_params_change_the_output(store, tmp_path):
    picture = store.put(images.png(seed=3), "image/png")
    plain, _ = render(store, tmp_path, "pixel-art", [picture])
    chunky, _ = render(store, tmp_path, "pixel-art", [picture], block=16)
    assert plain != chunky


def test_input_order_matters(store, tmp_path):
    a = store.put(images.png(seed=1), "image/png")
    b = store.put(images.png(seed=2), "image/png")
    ab, _ = render(store, tmp_path, "diptych", [a, b])
    ba, _ = render(store, tmp_path, "diptych", [b, a])
    assert ab != ba
    assert np.array_equal(pixels(ab)[:, :48], pixels(images.png(seed=1)))


def test_the_wrong_number_of_inputs_is_refused(store):
    a = store.put(images.png(seed=1), "image/png")
    with pytest.raises(InvalidParams, match=r"takes 1 input\(s\) \(image\), got 2"):
        planning.build(RECIPES["dog"], inputs=[a, a])
