"""Figure 2: importing a 256 MiB file into the cache vs just hashing it.

``cache.services.cache_import_local`` reads, hashes (SHA3-256), writes a
temp copy, fsyncs, renames and indexes the file. The floor is the hashing
alone, over the same warm file in the same 1 MiB chunks. Measured in a fresh
subprocess (see _import_child) that also reports its peak RSS growth.

2c (information) splits the cost: a plain copy (read, write, fsync; no hash)
is timed too, and the import is compared with hashing and copying done one
after the other. A ratio near 1 means the import is exactly that serial sum.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .common import MiB, ROOT, Row, fmt_rate, log, median

SIZE = 256 * MiB
REPEATS = 3
TARGET_RATIO = 0.8
TARGET_GROWTH_MIB = 64


def make_file(directory: Path, size: int = SIZE) -> Path:
    """Random bytes: incompressible, and certainly not an image."""
    path = directory / "random-256MiB.bin"
    with open(path, "wb") as out:
        for _ in range(size // (16 * MiB)):
            out.write(os.urandom(16 * MiB))
    return path


def run(env, repeats: int = REPEATS) -> tuple[list[Row], str]:
    path = make_file(env.import_dir)
    done = subprocess.run([env.python, "-m", "benchmarks._import_child", str(path), str(repeats)],
                          cwd=ROOT, env=env.env, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"import child failed:\n{done.stderr[-3000:]}{done.stdout[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    size = result["size"]
    t_sha3, t_import = median(result["sha3"]), median(result["import"])
    t_copy = median(result["copy"])
    ratio = t_sha3 / t_import  # throughput ratio = inverse time ratio
    growth_mib = (result["peak_after_kib"] - result["rss_before_kib"]) / 1024
    log(f"import 256 MiB: sha3 {t_sha3:.2f} s, copy {t_copy:.2f} s, import {t_import:.2f} s, "
        f"peak RSS +{growth_mib:.1f} MiB")
    rows = [
        Row("2. cache_import_local of 256 MiB vs sha3_256 of the file (throughput)",
            fmt_rate(size, t_import), fmt_rate(size, t_sha3), ratio, f">= {TARGET_RATIO}",
            ratio >= TARGET_RATIO, note=f"median of {repeats}, interleaved, warm page cache"),
        Row("2b. peak RSS growth of the importing process",
            f"{growth_mib:.1f} MiB", f"RSS before {result['rss_before_kib'] / 1024:.0f} MiB",
            None, f"< {TARGET_GROWTH_MIB} MiB", growth_mib < TARGET_GROWTH_MIB,
            note="VmHWM after the imports - VmRSS before, fresh process"
            + ("" if result["peak_reset"] else " (peak reset refused: upper bound)")),
        Row("2c. cache_import_local vs sha3 then a plain copy+fsync, one after the other",
            fmt_rate(size, t_import), fmt_rate(size, t_sha3 + t_copy),
            (t_sha3 + t_copy) / t_import, "info", None,
            note=f"plain copy alone {fmt_rate(size, t_copy)}; median of {repeats}"),
    ]
    return rows, result["hash"]
