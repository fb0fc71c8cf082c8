"""Small shared pieces: the result row, medians, timing, memory readings."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


@dataclass
class Row:
    """One line of the table. ``passed`` None means information only."""

    figure: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool | None
    note: str = ""
    crashed: bool = False


def crash_row(figure: str, exc: BaseException) -> Row:
    return Row(figure, f"CRASHED: {type(exc).__name__}: {exc}"[:160], "-", None, "-", False,
               crashed=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def log(message: str) -> None:
    # Progress goes to stderr so stdout carries only the table.
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def proc_status_kib(pid: int | str, field: str) -> int:
    """A kB field (VmRSS, VmHWM) of /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss(pid: int | str) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so a later VmHWM is the
    peak of what happened in between. False if the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def read_chunks(path: Path, chunk: int = MiB,
                sink: Callable[[memoryview], object] | None = None) -> int:
    """Read a file in chunks into one reused buffer (constant memory); returns bytes read."""
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    total = 0
    with open(path, "rb", buffering=0) as source:
        while n := source.readinto(buffer):
            total += n
            if sink is not None:
                sink(view[:n])
    return total


def fmt_rate(nbytes: int, seconds: float) -> str:
    return f"{nbytes / MiB / seconds:,.0f} MiB/s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
