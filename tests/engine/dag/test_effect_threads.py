"""ARTDAG_EFFECT_THREADS: validated where the settings read it, carried to
the engine in the render's limits, used by every step that applies an
effect, and never a cause of other bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from engine.dag import execute, plan
from engine.dag.store import DirectoryStore
from engine.limits import Limits
from tests import media_samples as samples
from tests.engine.dag.test_execute import put, recipe

ROOT = Path(__file__).resolve().parents[3]


def settings_value(raw: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ARTDAG_EFFECT_THREADS": raw, "DJANGO_SETTINGS_MODULE": "l1site.settings"}
    code = "from django.conf import settings; print(settings.EFFECT_THREADS)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_the_setting_defaults_to_one_and_takes_a_whole_number():
    assert settings_value("").stdout.strip() == "1"
    assert settings_value("4").stdout.strip() == "4"


@pytest.mark.parametrize("raw, message", [
    ("0", "ARTDAG_EFFECT_THREADS must be at least 1, got 0"),
    ("-2", "ARTDAG_EFFECT_THREADS must be at least 1, got -2"),
    ("two", "ARTDAG_EFFECT_THREADS must be an integer, got 'two'"),
    ("1.5", "ARTDAG_EFFECT_THREADS must be an integer, got '1.5'"),
    ("257", "ARTDAG_EFFECT_THREADS must be at most 256, got 257"),
])
def test_a_bad_value_stops_the_server_with_a_clear_message(raw, message):
    done = settings_value(raw)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_the_server_gives_the_engine_the_setting_in_the_render_limits(settings):
    from runs import context

    settings.EFFECT_THREADS = 3
    assert context.limits().effect_threads == 3


STEPS = {
    "dog": "{id: out, type: EFFECT, inputs: [v], config: {effect: dog}}",
    "sharpen": "{id: out, type: TRANSFORM, inputs: [v], config: {op: sharpen, amount: 2}}",
    "blur": "{id: out, type: TRANSFORM, inputs: [v], config: {op: blur, amount: 6}}",
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_step_on_three_effect_threads_writes_the_same_file_as_on_one(step, tmp_path):
    still = samples.still(tmp_path / "in.png", size=(1283, 717), index=3)
    outputs = {}
    for threads in (1, 3):
        store = DirectoryStore(tmp_path / f"store{threads}")
        work = tmp_path / f"work{threads}"
        work.mkdir()
        ctx = execute.Context(store, Limits(effect_threads=threads), temp_dir=work)
        p = plan.build(recipe(STEPS[step], inputs=("v",)), inputs={"v": put(store, still)})
        out = execute.execute(p, ctx)
        # The threads reached the kernels: OpenCV was last set by this step.
        assert cv2.getNumThreads() == threads
        outputs[threads] = Path(store.find(out["output"])[0]).read_bytes()
    assert outputs[1] == outputs[3]
    cv2.setNumThreads(1)
