"""Figures 6b and 6c: the `dog` recipe end to end (decode, effect, encode)
through the engine, now and with the float32 effect it had before the 8-bit
kernels (benchmarks/dog_float32.py, the same decode and encode around it).

6b is a 4096x4096 WebP still, 6c 30 s of 1280x720 H.264 + AAC at 30 fps
(benchmarks/media.make_clip) delivered as MP4. Each render runs in a fresh
process (`python -m benchmarks.bench_dog_e2e render ARGS-JSON`), timed after
its imports, over its own copy of the store so nothing is cached; the two
variants alternate. Plain Python, no Django, as the engine is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from .common import ROOT, Row, log, median, timed

STILL_SIDE = 4096
STILL_ROUNDS = 3
CLIP_SECONDS, CLIP_SIZE = 30.0, (1280, 720)
CLIP_ROUNDS = 1  # the float32 side alone takes minutes
MEDIA_TYPES = {".webp": "image/webp", ".mp4": "video/mp4"}


def _render(args: dict) -> dict:
    """In the child: plan and execute the built-in dog recipe over one file."""
    from engine import effects
    from engine.dag.store import DirectoryStore

    from . import media

    if args["variant"] == "float32":
        from . import dog_float32

        effects.REGISTRY["dog"] = dataclasses.replace(effects.REGISTRY["dog"],
                                                      fn=dog_float32.dog)
    store = DirectoryStore(Path(args["root"]))
    source = store.put_file(Path(args["file"]), MEDIA_TYPES[Path(args["file"]).suffix])
    t0 = time.perf_counter()
    done = media.engine_render(args["root"], media.effect_recipe("dog"), [source], None,
                               args["temp"])
    seconds = time.perf_counter() - t0
    effect_seconds = _effect_alone(Path(args["file"]))
    output = Path(done["output"])  # named by its hash: the media type says what it is
    return {"seconds": seconds, "effect_seconds": effect_seconds,
            "bytes": output.stat().st_size, "media_type": done["media_type"],
            "sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
            "facts": media.facts(str(output)) if done["media_type"] == "video/mp4" else None}


def _effect_alone(file: Path) -> float:
    """The effect's own share: dog (as registered now in this process) over
    the first picture, times the number of pictures (median of 3)."""
    import av

    from engine import effects

    with av.open(str(file)) as container:
        stream = container.streams.video[0]
        count = stream.frames or 1
        picture = next(container.decode(stream)).to_ndarray(format="rgb24")
    effect = effects.get_effect("dog")
    params = effects.validate_params(effect, {})
    return median([timed(lambda: effects.apply(effect, [picture], params))
                   for _ in range(3)]) * count


def _child(variant: str, file: Path, work: Path, n: int) -> dict:
    root, temp = work / f"store-{variant}-{n}", work / f"temp-{variant}-{n}"
    temp.mkdir(parents=True, exist_ok=True)
    args = {"variant": variant, "file": str(file), "root": str(root), "temp": str(temp)}
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_dog_e2e", "render",
                           json.dumps(args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode:
        raise RuntimeError(f"dog render ({variant}) failed:\n{done.stderr[-3000:]}")
    subprocess.run(["rm", "-rf", str(root), str(temp)], check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compare(file: Path, work: Path, rounds: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"now": [], "float32": []}
    for i in range(rounds):
        for variant in (("now", "float32") if i % 2 == 0 else ("float32", "now")):
            results[variant].append(_child(variant, file, work, i))
            log(f"dog end to end {file.name} ({variant}): "
                f"{results[variant][-1]['seconds']:.2f} s")
    return results


def _row(figure: str, results: dict[str, list[dict]], rounds: int, extra: str) -> Row:
    now = median([r["seconds"] for r in results["now"]])
    before = median([r["seconds"] for r in results["float32"]])
    share = {v: median([r["effect_seconds"] for r in rs]) for v, rs in results.items()}
    same = results["now"][0]["sha256"] == results["float32"][0]["sha256"]
    return Row(figure, f"{now:.2f} s", f"{before:.2f} s (float32 dog)", now / before, "info",
               None, note=f"dog end to end: median of {rounds} fresh process(es) each, "
               f"alternating; {'same' if same else 'other'} output bytes (dog changed: "
               f"README, 'Effects whose output changed'); the effect alone (its time on the "
               f"first picture times the pictures) {share['now']:.2f} s now, "
               f"{share['float32']:.2f} s before{extra}")


def run(work_dir: Path) -> list[Row]:
    from PIL import Image

    from . import media
    from .images import synthetic

    work = Path(work_dir) / "dog-e2e"
    work.mkdir(parents=True, exist_ok=True)
    still = work / f"photo-{STILL_SIDE}.webp"
    Image.fromarray(synthetic(STILL_SIDE, seed=7)).save(still, format="WEBP", quality=90)
    clip = work / "pan-720p-30s.mp4"
    log("making a 30 s 720p clip for dog end to end ...")
    media.make_clip(clip, seconds=CLIP_SECONDS, width=CLIP_SIZE[0], height=CLIP_SIZE[1], seed=3)

    rows = [_row(f"6b. dog end to end, {STILL_SIDE}x{STILL_SIDE} WebP (decode + dog + encode): "
                 "now vs the float32 effect", _compare(still, work, STILL_ROUNDS), STILL_ROUNDS,
                 "")]
    video = _compare(clip, work, CLIP_ROUNDS)
    kinds = {r["media_type"] for rs in video.values() for r in rs}
    if kinds != {"video/mp4"}:
        raise AssertionError(f"dog over the clip delivered {kinds}, not MP4")
    frames = {v: r[0]["facts"]["frames"] for v, r in video.items()}
    if frames["now"] != frames["float32"]:
        raise AssertionError(f"dog over the clip: frame counts differ {frames}")
    per_frame = {v: median([r["seconds"] for r in rs]) / frames[v] * 1000
                 for v, rs in video.items()}
    rows.append(_row(f"6c. dog end to end, {CLIP_SECONDS:g} s {CLIP_SIZE[0]}x{CLIP_SIZE[1]} "
                     "H.264 + AAC to MP4: now vs the float32 effect", video, CLIP_ROUNDS,
                     f"; {frames['now']} frames, {per_frame['now']:.1f} vs "
                     f"{per_frame['float32']:.1f} ms per frame"))
    return rows


if __name__ == "__main__":
    if sys.argv[1] != "render":
        raise SystemExit(f"unknown job {sys.argv[1]}")
    print(json.dumps(_render(json.loads(sys.argv[2]))))
