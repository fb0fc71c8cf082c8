"""Every effect gives the same bytes in every process, at every CPU dispatch
level OpenCV and numpy can be held to on this machine, with and without
Intel IPP, and over any number of effect threads.

Each setting runs tests/engine/effect_bytes_child.py in a fresh process
(the dispatch level is chosen when the libraries load) and its hashes of
every effect over photo-like pictures (odd sizes, alpha, a grey photo, one
pixel) must equal the default run's. Each run also reports the features it
dispatched to, so a setting that did not take effect fails instead of
comparing the default with itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KNOBS = ("OPENCV_CPU_DISABLE", "OPENCV_IPP", "NPY_DISABLE_CPU_FEATURES")
OPENCV_BASELINE = "AVX2,FP16,AVX,SSE4.2,POPCNT,SSE4.1,SSSE3"  # leaves SSE..SSE3

# name -> (environment, effect threads, what the child must report)
SETTINGS = {
    "opencv without AVX2": ({"OPENCV_CPU_DISABLE": "AVX2,FP16"}, 1,
                            lambda r: "*AVX2?" in r["opencv_features"]),
    "opencv at its SSE3 baseline": ({"OPENCV_CPU_DISABLE": OPENCV_BASELINE}, 1,
                                    lambda r: "*SSE4.1?" in r["opencv_features"]),
    "no Intel IPP": ({"OPENCV_IPP": "disabled"}, 1, lambda r: r["ipp"] is False),
    "Intel IPP at SSE4.2": ({"OPENCV_IPP": "sse42"}, 1,
                            lambda r: "SSE4.2" in (r["ipp"] or "")),
    "numpy without X86_V3 (AVX2, FMA3)": ({"NPY_DISABLE_CPU_FEATURES": "X86_V3"}, 1,
                                          lambda r: r["numpy_x86_v3"] is False),
    "two effect threads": ({}, 2, lambda r: r["threads"] == 2),
    "three effect threads": ({}, 3, lambda r: r["threads"] == 3),
    "all at baseline, three threads": (
        {"OPENCV_CPU_DISABLE": OPENCV_BASELINE, "OPENCV_IPP": "disabled",
         "NPY_DISABLE_CPU_FEATURES": "X86_V3"}, 3,
        lambda r: "*SSE4.1?" in r["opencv_features"] and r["ipp"] is False
        and r["numpy_x86_v3"] is False and r["threads"] == 3),
}


def render(env: dict[str, str], threads: int) -> dict:
    child_env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    child_env.update(env, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "tests.engine.effect_bytes_child", str(threads)],
                          cwd=ROOT, env=child_env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def default_run() -> dict:
    return render({}, 1)


def test_the_default_run_dispatches_to_the_best_code_and_renders_every_case(default_run):
    from engine import effects

    names = {key.split("/")[0] for key in default_run["hashes"]}
    assert names == {e.name for e in effects.all_effects()}
    assert len(default_run["hashes"]) == len(names) * 2 * 5
    # Distinct outputs: the cases are not all the same picture.
    assert len(set(default_run["hashes"].values())) > len(names) * 5


def test_the_settings_change_the_bytes_of_kernels_that_are_not_exact(default_run):
    # The harness can see a difference: float kernels of OpenCV and numpy,
    # which the effects avoid, give other bytes at the baseline.
    env, threads, _ = SETTINGS["all at baseline, three threads"]
    controls = render(env, threads)["controls"]
    changed = {k for k, v in default_run["controls"].items() if controls[k] != v}
    if not _has(default_run, "opencv without AVX2"):
        pytest.skip("this CPU has no AVX2 to turn off")
    # cv2.magnitude changes because Intel IPP's differs in the last bit.
    assert changed == {"opencv addWeighted", "opencv float blur", "numpy tanh",
                       "opencv magnitude"}


def _has(default_run: dict, name: str) -> bool:
    features = default_run["opencv_features"]
    if "AVX2" in SETTINGS[name][0].get("OPENCV_CPU_DISABLE", ""):
        return "*AVX2" in features and "*AVX2?" not in features
    if "IPP" in name:
        return bool(default_run["ipp"])
    if "numpy" in name:
        return default_run["numpy_x86_v3"]
    return True


@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_effect_gives_the_default_bytes(name, default_run):
    if not _has(default_run, name):
        pytest.skip(f"this CPU or build has nothing for '{name}' to turn off")
    env, threads, took_effect = SETTINGS[name]
    result = render(env, threads)
    assert took_effect(result), f"'{name}' did not take effect: {result['opencv_features']}, " \
                                f"IPP {result['ipp']}, numpy X86_V3 {result['numpy_x86_v3']}"
    differing = sorted(k for k, v in default_run["hashes"].items() if result["hashes"][k] != v)
    assert differing == [], f"different bytes under '{name}': {differing}"
