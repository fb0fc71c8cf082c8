"""An effect whose output changes gets a new content hash, and with it every
step that applies it a new cache id: a render made by other code is never
served from the cache. The README names the effects whose bytes changed."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from engine import effects
from engine.dag import plan
from engine.dag.validate import validate
from engine.effects import _common

ROOT = Path(__file__).resolve().parents[2]
COLOUR = {"invert", "grayscale", "sepia", "posterize", "brightness", "contrast"}
FILTERS = {"blur", "sharpen", "edge", "dog"}


def fresh_hashes() -> dict[str, str]:
    # A copy of each Effect: content_hash is computed once per object.
    return {e.name: dataclasses.replace(e).content_hash for e in effects.all_effects()}


def edited(monkeypatch, module_name: str) -> None:
    real = effects.inspect.getsource

    def getsource(module):
        text = real(module)
        return text + "\n# edited" if module.__name__ == module_name else text

    monkeypatch.setattr(effects.inspect, "getsource", getsource)


@pytest.mark.parametrize("module, changed", [
    ("engine.effects.filters", FILTERS),
    ("engine.effects.color", COLOUR),
    ("engine.effects._common", set(effects.REGISTRY)),
    ("engine.effects", set(effects.REGISTRY)),  # the registry normalizes the parameters
])
def test_an_edit_to_an_effects_code_gives_exactly_its_effects_new_hashes(module, changed,
                                                                         monkeypatch):
    before = fresh_hashes()
    edited(monkeypatch, module)
    after = fresh_hashes()
    assert {name for name in before if after[name] != before[name]} == changed


@pytest.mark.parametrize("library", ["opencv", "pillow"])
def test_another_version_of_a_kernel_library_gives_every_effect_a_new_hash(library,
                                                                           monkeypatch):
    before = fresh_hashes()
    monkeypatch.setitem(_common.KERNELS, library, "0.0.0-other")
    after = fresh_hashes()
    assert all(after[name] != before[name] for name in before)


def test_the_hash_names_the_installed_library_versions():
    import cv2
    import PIL

    assert _common.KERNELS == {"opencv": cv2.__version__, "pillow": PIL.__version__}


RECIPE = validate("""
name: versions
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: picture}}
    - {id: ink, type: EFFECT, inputs: [in], config: {effect: dog}}
    - {id: soft, type: TRANSFORM, inputs: [in], config: {op: blur, amount: 2}}
    - {id: turned, type: EFFECT, inputs: [in], config: {effect: rotate, params: {degrees: 90}}}
    - {id: both, type: BLEND, inputs: {a: ink, b: soft}, config: {mode: screen}}
    - {id: all, type: BLEND, inputs: {a: both, b: turned}, config: {mode: screen}}
  output: all
""")


@pytest.mark.parametrize("name, changed", [
    ("dog", {"ink", "both", "all"}),
    ("blur", {"soft", "both", "all"}),  # TRANSFORM's blur runs the effect's kernel
    ("rotate", {"turned", "all"}),
])
def test_a_new_content_hash_gives_the_steps_that_apply_it_new_cache_ids(name, changed,
                                                                        monkeypatch):
    before = {s.node: s.cache_id for s in plan.build(RECIPE, inputs=["a" * 64]).steps}
    effect = effects.get_effect(name)
    effect.content_hash  # noqa: B018 - computed, then replaced below
    monkeypatch.setitem(effect.__dict__, "content_hash", hashlib.sha256(b"new code").hexdigest())
    after = {s.node: s.cache_id for s in plan.build(RECIPE, inputs=["a" * 64]).steps}
    assert {node for node in before if after[node] != before[node]} == changed


def reference_picture() -> np.ndarray:
    """A fixed picture from arithmetic alone (no random generator, whose
    streams may change between numpy versions)."""
    y, x = np.mgrid[0:43, 0:61]
    r = (x * 255) // 60
    g = (x * y * 37 + 11 * y) % 256
    b = ((x - 30) ** 2 + (y - 21) ** 2) % 256
    img = np.stack([r, g, b], axis=2).astype(np.uint8)
    img[10:25, 15:40] = (200, 60, 30)
    return img


REFERENCE_PARAMS = {"resize": {"width": 29}, "pixelate": {"block": 6},
                    "brightness": {"factor": 1.3}, "contrast": {"factor": 1.2},
                    "sepia": {"amount": 0.8}}

# Each effect's output over reference_picture() as the float32 effects gave it
# (engine/effects at commit 6c54af9), before the move to 8-bit fixed-point kernels.
FLOAT32_OUTPUTS = {
    "blur": "ebdbef522a6d44f50f968ea785a371a063693af9e929a8623716a5079350b582",
    "brightness": "d3d3481913c4e23f164b06288a245068e8a69138d786b0fdf562f54240e7b841",
    "contrast": "ac49d2ad1b2dcc2c965cc00949a5aad9641943dfb266f08b97c2c13871f812d1",
    "dog": "fcc0202312400d3cd903e98a2201f80c0a4554bf1eb13f4f7e106a6452232f21",
    "edge": "be2b6c23b01ebac0eb72ed09eddfe9dacdf6580867a4941ab8b47ecc188a6619",
    "flip": "c0213bd790a6e8aa4b749ff1d09ff7e379ad7e8372a0d0d16596430f54ba78a7",
    "grayscale": "48ec5781473cb89e18977a408f8c4d588e7707447f4c23adce7e6ce110efb12c",
    "hstack": "2c2164cba0873dff6ece7311aeb289a999de92db1a0e1f1ca4aacf96cd39a34c",
    "identity": "b2f6704a730403eea89675dc17eecfc406eaaae5588e14e2875d4f46859608ef",
    "invert": "67b311321e0cacdb9286b40319a65065a1078dee40e889e967bc70aeab599312",
    "pixelate": "8e80b0922a1a6d73dbd110d64837b9443d7266f28f06a00fee6c4aed21d5babe",
    "posterize": "be098c932b0a3dcf31e47219c98bafc246dfb41dd27e10a789b356dcfff07f7d",
    "resize": "1bf245f50f41bb38cd7fe991a2bf747339ee93f9b9426b50e67e85dfbb84711b",
    "rotate": "697013a871bf137caef442ce83656b160759c85fb3bc1dd1a2fd0036533cfc0c",
    "sepia": "390843bc2b48eed8c6f14618d1fe6d0edee3ff6855992bea8cecd83366b1fa63",
    "sharpen": "c3ba58d93f0ea6f75561b97dc77ec8b5eb652c4c1de2c9d496837d8af9453dfc",
}


def output_hash(name: str) -> str:
    effect = effects.get_effect(name)
    img = reference_picture()
    out = effects.apply(effect, [img, img[::-1].copy()][: effect.min_inputs],
                        REFERENCE_PARAMS.get(name, {}))
    return hashlib.sha256(str(out.shape).encode() + out.tobytes()).hexdigest()


def readme_changed_effects() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = re.search(r"### Effects whose output changed\n(.*?)(?:\n#|\Z)", text, re.S)
    assert section, "README.md has no '### Effects whose output changed' section"
    return set(re.findall(r"^- `(\w+)`", section.group(1), re.M))


def test_the_readme_names_exactly_the_effects_whose_bytes_differ_from_the_float32_code():
    assert set(FLOAT32_OUTPUTS) == set(effects.REGISTRY)
    changed = {name for name, digest in FLOAT32_OUTPUTS.items() if output_hash(name) != digest}
    assert changed == readme_changed_effects()
    assert changed == {"blur", "dog", "edge", "grayscale", "sepia", "sharpen"}
