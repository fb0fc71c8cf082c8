"""Figure 1: what the engine adds around an effect's numpy core.

In-process and without Django: the engine is plain Python. Three timings of
the `dog` effect on one 2048x2048 RGB picture, interleaved in a rotating
order so drift in the machine's speed hits all three alike:

* direct  - ``effect.fn(arr, **params)``, params validated once beforehand;
* engine  - the per-frame path of the EFFECT step: look the effect up,
            validate the params, ``effects.apply`` (frame checks + dispatch);
* render  - the built-in `dog` recipe over the same picture as a PNG file
            (benchmarks.render): read + effect + write (information only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import Row, fmt_ms, log, median, timed
from .images import png_bytes, synthetic

SIZE = 2048
REPEATS = 11  # the machine is noisy: single runs spike to 2x
TARGET = 1.25


def run(work_dir: Path, repeats: int = REPEATS) -> list[Row]:
    from engine import effects

    from .render import renderer

    arr = synthetic(SIZE, seed=SIZE)
    png = work_dir / f"dog-{SIZE}.png"
    png.write_bytes(png_bytes(arr))
    raw_params: dict = {}  # what the built-in `dog` recipe stores
    effect = effects.get_effect("dog")
    params = effects.validate_params(effect, raw_params)
    render = renderer("dog")

    def direct():
        return effect.fn(arr, **params)

    def engine():
        return effects.apply(effects.get_effect("dog"), [arr],
                             effects.validate_params(effect, raw_params))

    def full():
        return render(png)

    # Both paths must do the same work, or the ratio means nothing.
    if not np.array_equal(direct(), engine()):
        raise AssertionError("engine path and direct call give different pixels")
    full()  # warm-up: imports, first-touch page faults, PNG decoder tables

    cases = {"direct": direct, "engine": engine, "render": full}
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(repeats):
        for name in names[i % 3:] + names[:i % 3]:  # rotate the order each round
            times[name].append(timed(cases[name]))
    med = {name: median(values) for name, values in times.items()}
    log("dog 2048: " + ", ".join(f"{n} {fmt_ms(v)}" for n, v in med.items()))

    ratio = med["engine"] / med["direct"]
    full_ratio = med["render"] / med["direct"]
    return [
        Row("1. dog 2048x2048 through engine (validate + apply) vs effect.fn",
            fmt_ms(med["engine"]), fmt_ms(med["direct"]), ratio, f"<= {TARGET}",
            ratio <= TARGET, note=f"median of {repeats}, interleaved"),
        Row("1b. the dog recipe over a 2048x2048 PNG (read+dog+write) vs effect.fn",
            fmt_ms(med["render"]), fmt_ms(med["direct"]), full_ratio, "info", None,
            note=f"median of {repeats}, interleaved"),
    ]
