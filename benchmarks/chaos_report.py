"""The chaos soak's figures (benchmarks/chaos.json) and its section of
BENCHMARKS.md, kept apart from the soak so `make bench` can rewrite
BENCHMARKS.md with the section in it without loading the soak."""

from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "chaos.json"


def passed(result: dict) -> bool:
    return (result["lost"] == 0 and result["duplicated"] == 0 and result["corrupt"] == 0
            and not result["failed_without_a_fault_reason"]
            and result["server_errors_outside_count"] == 0)


def section() -> str:
    """The chaos section of BENCHMARKS.md, from benchmarks/chaos.json."""
    if not RESULTS.exists():
        return ""
    saved = json.loads(RESULTS.read_text())
    rows = ["| mode | measured | minutes | seed | runs | completed / failed / cancelled | faults injected "
            "| lost | duplicated | corrupt | 5xx outside windows | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in saved["results"]:
        s = r["states"]
        faults = ", ".join(f"{k} {v}" for k, v in r["faults"].items())
        rows.append(f"| {r['mode']} | {r.get('date', saved['date'])} | {r['seconds'] / 60:.1f} | {r['seed']} | {r['runs']} "
                    f"| {s.get('completed', 0)} / {s.get('failed', 0)} / {s.get('cancelled', 0)} "
                    f"| {faults} (total {sum(r['faults'].values())}) | {r['lost']} "
                    f"| {r['duplicated']} | {r['corrupt']} | {r['server_errors_outside_count']} "
                    f"| {'met' if passed(r) else 'MISSED'} |")
    return f"""## Chaos soak

`make chaos` (`scripts/with-services.sh .venv/bin/python -m benchmarks.chaos`; one mode:
`--modes NAME`): load from three clients (uploads of stills and clips, still, video and
graph runs, cache hits, downloads, cancels) while faults are injected at random every
4 to 9 s. Targets: 0 lost, 0 duplicated, 0 corrupt runs, no 5xx outside the windows when
the database was down (503) or the disk full (507); every failed run's error names a fault.

{chr(10).join(rows)}

Failed runs are the faults' own casualties (a render that met the full disk, a
run whose step was killed more often than ARTDAG_MAX_RENDER_ATTEMPTS); each one's
error names its fault, or the row says MISSED.
"""


def write_section(results: list[dict]) -> None:
    """Keep these modes' results (a mode soaked on its own replaces only its
    own row) and rewrite the section."""
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    kept = json.loads(RESULTS.read_text())["results"] if RESULTS.exists() else []
    modes = {r["mode"] for r in results}
    merged = [r for r in kept if r["mode"] not in modes] + [{**r, "date": date} for r in results]
    _replace(RESULTS, json.dumps({"date": date, "results": merged}, indent=1) + "\n")
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    start = text.find("## Chaos soak")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + (text[end + 1:] if end >= 0 else "")
    _replace(path, text.rstrip("\n") + "\n\n" + section())


def _replace(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text)
    temp.replace(path)
