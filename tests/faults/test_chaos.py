"""The chaos soak, short (benchmarks/chaos.py; `make chaos` runs it for 10
minutes a mode): load and random faults, then nothing lost, nothing
rendered twice, every output verified, no 5xx outside the database's
downtime. The seed is printed and in every failure message; set
ARTDAG_CHAOS_SEED to replay its choices."""

import json
import os
import random

import pytest

from benchmarks.chaos import MODES, passed, soak

pytestmark = pytest.mark.faults

SECONDS = float(os.environ.get("ARTDAG_CHAOS_SECONDS", "40"))


@pytest.mark.parametrize("mode", MODES)
def test_a_short_chaos_soak_loses_duplicates_and_corrupts_nothing(mode, report):
    seed = int(os.environ.get("ARTDAG_CHAOS_SEED") or random.SystemRandom().randrange(10 ** 6))
    print(f"chaos seed {seed} (ARTDAG_CHAOS_SEED={seed} replays it)")
    result = soak(mode, SECONDS, seed)
    summary = json.dumps(result, indent=1)
    assert sum(result["faults"].values()) >= 3, summary  # faults were injected
    assert result["states"].get("completed", 0) > 0, summary  # and work got done
    assert result["lost"] == 0, summary
    assert result["duplicated"] == 0, summary
    assert result["corrupt"] == 0, summary
    assert result["failed_without_a_fault_reason"] == [], summary
    assert result["server_errors_outside_count"] == 0, summary
    assert passed(result)
    report(fault="chaos", **{k: v for k, v in result.items()
                             if k not in ("server_errors_outside_windows",)})
