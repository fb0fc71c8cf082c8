"""Figure 6: every built-in effect at 2048x2048 and 4096x4096 against the
fastest implementation of the same operation the benchmark can write with
OpenCV, Pillow or numpy, all on one thread.

Ours is ``effects.apply`` with validated parameters (what a render does per
frame, one effect thread). For each effect every peer below is timed,
interleaved with ours, and the fastest one is the baseline; the row names
it and gives the mean absolute difference between its picture and ours in
units of 255 (peers round differently, or use float kernels the effects
avoid because their bytes depend on the CPU). A ratio over 1.5 is marked
missed; over 2 it is a defect.
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageFilter

from .common import Row, fmt_ms, log, median, timed
from .images import synthetic

SIZES = (2048, 4096)
# Rounds per effect: at least these, and more for quick effects, up to about
# half a second of ours per effect (capped): a millisecond operation on a
# shared machine needs many samples before its median settles.
REPEATS = {2048: 7, 4096: 5}
BUDGET_S, MAX_REPEATS = 0.5, 41
TARGET = 1.5
DEFECT = 2.0

# The parameters every side uses (what a user would pick; defaults elsewhere).
PARAMS = {"sepia": {"amount": 1.0}, "brightness": {"factor": 1.3}, "contrast": {"factor": 1.2},
          "posterize": {"levels": 5}, "blur": {"sigma": 2.0},
          "sharpen": {"amount": 1.0, "sigma": 1.0}, "edge": {"strength": 1.0}, "dog": {},
          "pixelate": {"block": 8}, "rotate": {"degrees": 90}, "flip": {"axis": "horizontal"}}

SEPIA = np.array(((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131)),
                 dtype=np.float32)

Peers = dict[str, Callable[[], np.ndarray]]


def _table(fn) -> np.ndarray:
    values = np.arange(256, dtype=np.float32)
    return np.clip(np.rint(fn(values)), 0, 255).astype(np.uint8)


def _per_value(arr: np.ndarray, lut: np.ndarray) -> Peers:
    listed = lut.tolist() * 3
    return {"OpenCV LUT": lambda: cv2.LUT(arr, lut),
            "Pillow point": lambda: np.asarray(Image.fromarray(arr).point(listed)),
            "numpy take": lambda: lut[arr]}


def _dog_peers(arr: np.ndarray) -> Peers:
    sigma, k, threshold, phi, levels = 1.4, 1.6, 0.01, 100.0, 5
    wide_sigma = sigma * math.sqrt(k * k - 1)
    poster = _table(lambda v: np.rint(v * np.float32((levels - 1) / 255))
                    * np.float32(255 / (levels - 1)))

    def float_ink():
        # XDoG as one writes it with OpenCV: 8-bit blurs, float32 ink and mix.
        smooth = cv2.GaussianBlur(arr, (0, 0), sigma)
        narrow = cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY).astype(np.float32) / np.float32(255)
        wide = cv2.GaussianBlur(narrow, (0, 0), wide_sigma)
        response = np.minimum((narrow - wide + np.float32(threshold)) * np.float32(phi), 0)
        shade = 1 + response / np.sqrt(response * response + 1)
        flat = cv2.LUT(smooth, poster).astype(np.float32)
        return cv2.convertScaleAbs(flat * shade[:, :, None])

    def table_ink():
        # The same with every step 8-bit: the ink a table of the blurs' difference.
        smooth = cv2.GaussianBlur(arr, (0, 0), sigma)
        narrow = cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY)
        wide = cv2.GaussianBlur(narrow, (0, 0), wide_sigma)
        darker = np.arange(256) / 255.0
        response = np.minimum((threshold - darker) * phi, 0)
        ink = np.rint(255 * (1 + response / np.sqrt(response * response + 1))).astype(np.uint8)
        shade = cv2.LUT(cv2.subtract(wide, narrow), ink)
        return cv2.multiply(cv2.LUT(smooth, poster), cv2.cvtColor(shade, cv2.COLOR_GRAY2RGB),
                            scale=1 / 255)

    return {"OpenCV blurs, float ink": float_ink, "OpenCV blurs, 8-bit table ink": table_ink}


def peers(arr: np.ndarray, second: np.ndarray) -> dict[str, Peers]:
    """effect name -> {peer name: callable returning an HxWxC array}."""
    h, w = arr.shape[:2]
    pil = Image.fromarray
    flat_sepia = tuple(float(v) for row in SEPIA for v in (*row, 0.0))
    poster = _table(lambda v: np.rint(v * np.float32(4 / 255)) * np.float32(255 / 4))

    def cv_sharpen():
        soft = cv2.GaussianBlur(arr, (0, 0), 1.0)
        return cv2.addWeighted(arr, 2.0, soft, -1.0, 0)

    def cv_edge():
        grey = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        return cv2.cvtColor(cv2.convertScaleAbs(cv2.magnitude(gx, gy), alpha=0.25),
                            cv2.COLOR_GRAY2RGB)

    def cv_edge_16s():
        grey = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
        gx = cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3).astype(np.float32)
        gy = cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3).astype(np.float32)
        return cv2.cvtColor(cv2.convertScaleAbs(cv2.magnitude(gx, gy), alpha=0.25),
                            cv2.COLOR_GRAY2RGB)

    return {
        "invert": {"numpy 255 - x": lambda: np.subtract(255, arr, dtype=np.uint8),
                   "OpenCV bitwise_not": lambda: cv2.bitwise_not(arr)},
        "grayscale": {
            "OpenCV cvtColor": lambda: cv2.cvtColor(cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY),
                                                    cv2.COLOR_GRAY2RGB),
            "Pillow convert": lambda: np.asarray(pil(arr).convert("L").convert("RGB"))},
        "sepia": {"OpenCV transform": lambda: cv2.transform(arr, SEPIA),
                  "Pillow matrix convert": lambda: np.asarray(pil(arr).convert("RGB",
                                                                             flat_sepia))},
        "brightness": _per_value(arr, _table(lambda v: v * np.float32(1.3))),
        "contrast": _per_value(arr, _table(lambda v: (v - np.float32(127.5)) * np.float32(1.2)
                                           + np.float32(127.5))),
        "posterize": _per_value(arr, poster),
        "blur": {"OpenCV GaussianBlur": lambda: cv2.GaussianBlur(arr, (0, 0), 2.0),
                 "Pillow GaussianBlur": lambda: np.asarray(
                     pil(arr).filter(ImageFilter.GaussianBlur(2.0)))},
        "sharpen": {"OpenCV GaussianBlur + addWeighted": cv_sharpen,
                    "Pillow UnsharpMask": lambda: np.asarray(pil(arr).filter(
                        ImageFilter.UnsharpMask(radius=1.0, percent=100, threshold=0)))},
        "edge": {"OpenCV Sobel (float) + magnitude": cv_edge,
                 "OpenCV Sobel (int16) + magnitude": cv_edge_16s},
        "dog": _dog_peers(arr),
        "pixelate": {
            "OpenCV area + nearest resize": lambda: cv2.resize(
                cv2.resize(arr, (w // 8, h // 8), interpolation=cv2.INTER_AREA), (w, h),
                interpolation=cv2.INTER_NEAREST),
            "Pillow reduce + nearest resize": lambda: np.asarray(
                pil(arr).reduce(8).resize((w, h), Image.Resampling.NEAREST))},
        "resize": {"Pillow Lanczos resize": lambda: np.asarray(
            pil(arr).resize((w // 2, h // 2), Image.Resampling.LANCZOS))},
        "rotate": {"OpenCV rotate": lambda: cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE),
                   "numpy rot90 copy": lambda: np.ascontiguousarray(np.rot90(arr)),
                   "Pillow transpose": lambda: np.asarray(
                       pil(arr).transpose(Image.Transpose.ROTATE_90))},
        "flip": {"OpenCV flip": lambda: cv2.flip(arr, 1),
                 "numpy fliplr copy": lambda: np.ascontiguousarray(arr[:, ::-1]),
                 "Pillow transpose": lambda: np.asarray(
                     pil(arr).transpose(Image.Transpose.FLIP_LEFT_RIGHT))},
        "hstack": {"numpy concatenate": lambda: np.concatenate([arr, second], axis=1),
                   "OpenCV hconcat": lambda: cv2.hconcat([arr, second])},
        "identity": {"the array itself": lambda: arr},
    }


# Not the same operation, so not a peer, but the obvious faster thing to
# compare resize with: OpenCV's Lanczos is a fixed 8-tap kernel that does not
# widen when shrinking (it aliases), where Pillow's (and ours) does.
def _opencv_lanczos(arr: np.ndarray) -> np.ndarray:
    h, w = arr.shape[:2]
    return cv2.resize(arr, (w // 2, h // 2), interpolation=cv2.INTER_LANCZOS4)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.absdiff(a, b).mean())


SAMPLE_S = 0.02  # each sample times enough calls to last about this long


def _race(cases: dict[str, Callable[[], np.ndarray]],
          repeats: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Per case: the fastest and the median seconds per call over the rounds,
    and the median over rounds of ours / it.

    Each round times every case once, back to back in a rotating order. A
    sample of a quick case is several calls, so it outlasts the scheduler's
    slices. On a machine shared with other work, time can only be added to
    a sample, never taken away, so the fastest sample is the nearest to
    what the code itself costs: the figures' ratios are of those; the
    medians are in the notes.
    """
    names = list(cases)
    calls = {n: max(1, math.ceil(SAMPLE_S / max(timed(cases[n]), 1e-5))) for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    for i in range(repeats):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            fn, count = cases[name], calls[name]
            times[name].append(timed(lambda: [fn() for _ in range(count)]) / count)
    ratios = {n: median([a / b for a, b in zip(times["ours"], times[n])]) for n in names}
    return ({n: min(v) for n, v in times.items()}, {n: median(v) for n, v in times.items()},
            ratios)


def _size_rows(size: int) -> list[Row]:
    from engine import effects

    cv2.setNumThreads(1)
    arr = synthetic(size, seed=size)
    second = synthetic(size, seed=size + 1)
    table = peers(arr, second)
    names = sorted(e.name for e in effects.all_effects())
    if missing := set(names) - set(table):
        raise RuntimeError(f"no peer written for effect(s): {', '.join(sorted(missing))}")
    if params_missing := set(names) - set(PARAMS) - {"identity", "hstack", "resize", "invert",
                                                     "grayscale"}:
        raise RuntimeError(f"no parameters for effect(s): {', '.join(sorted(params_missing))}")
    rows = []
    for name in names:
        effect = effects.get_effect(name)
        params = {"width": size // 2} if name == "resize" else PARAMS.get(name, {})
        validated = effects.validate_params(effect, params)
        frames = [arr, second] if name == "hstack" else [arr]
        ours = effects.apply(effect, frames, validated)
        cases = {"ours": lambda e=effect, f=frames, p=validated: effects.apply(e, f, p)}
        for peer_name, fn in table[name].items():
            out = fn()
            if out.shape != ours.shape:
                raise AssertionError(f"{name}: ours {ours.shape}, {peer_name} {out.shape}")
            cases[peer_name] = fn
        if name == "resize":
            cases["OpenCV Lanczos-4"] = lambda: _opencv_lanczos(arr)
        rounds = min(MAX_REPEATS, max(REPEATS[size],
                                      math.ceil(BUDGET_S / max(timed(cases["ours"]), 1e-4))))
        med, medians, ratios = _race(cases, rounds)
        peer = min(table[name], key=med.__getitem__)
        figure = f"6. {name} {size}x{size}"
        if name == "identity":  # both return the array they were given: nothing to time
            rows.append(Row(figure, fmt_ms(med["ours"]), fmt_ms(med[peer]), None, "info", None,
                            note=f"{name} {size}: returns its input; no work on either side"))
            continue
        ratio = med["ours"] / med[peer]
        diff = _mad(ours, table[name][peer]())
        verdict = "" if ratio <= TARGET else (" MISSED (over 1.5x)" if ratio <= DEFECT
                                              else " DEFECT (over 2x)")
        others = ", ".join(f"{n} {fmt_ms(med[n])}" for n in table[name] if n != peer)
        log(f"effect {name} {size}: ours {fmt_ms(med['ours'])}, {peer} {fmt_ms(med[peer])} "
            f"({ratio:.2f}x), mean |diff| {diff:.2f}")
        rows.append(Row(figure, fmt_ms(med["ours"]), f"{fmt_ms(med[peer])} ({peer})", ratio,
                        f"<= {TARGET:g}", ratio <= TARGET,
                        note=f"{name} {size}: peer {peer}; mean |ours - peer| {diff:.2f} of 255; "
                             f"fastest of {rounds} rounds; medians {fmt_ms(medians['ours'])} vs "
                             f"{fmt_ms(medians[peer])}, median of the rounds' ratios "
                             f"{ratios[peer]:.2f}"
                             + (f"; other peers: {others}" if others else "") + verdict))
        if name == "resize":
            other = med["ours"] / med["OpenCV Lanczos-4"]
            rows.append(Row(f"6. resize {size}x{size} vs OpenCV Lanczos-4 (another filter)",
                            fmt_ms(med["ours"]), fmt_ms(med["OpenCV Lanczos-4"]), other, "info",
                            None, note=f"resize {size} vs OpenCV INTER_LANCZOS4: a fixed "
                            "8-tap kernel that does not widen when shrinking, so it aliases; "
                            f"mean |ours - it| {_mad(ours, _opencv_lanczos(arr)):.2f} of 255"))
    return rows


def _threads_row(size: int = 4096, threads: int = 2) -> Row:
    """ARTDAG_EFFECT_THREADS: one big still through dog on more threads."""
    from engine import effects

    arr = synthetic(size, seed=size)
    effect = effects.get_effect("dog")
    params = effects.validate_params(effect, {})
    one, more = (effects.apply(effect, [arr], params, threads=n) for n in (1, threads))
    if not np.array_equal(one, more):
        raise AssertionError(f"dog on {threads} threads gave other bytes than on one")
    med, _, _ = _race({"ours": lambda: effects.apply(effect, [arr], params, threads=threads),
                         "one": lambda: effects.apply(effect, [arr], params, threads=1)},
                        REPEATS[size])
    med["more"] = med["ours"]
    effects.apply(effect, [arr[:1, :1]], params, threads=1)  # back to one thread
    return Row(f"6d. dog {size}x{size} on {threads} effect threads vs 1", fmt_ms(med["more"]),
               fmt_ms(med["one"]), med["ours"] / med["one"], "info", None,
               note=f"ARTDAG_EFFECT_THREADS={threads}: the same bytes (checked); the machine "
                    "has 2 cores shared with other work, so the gain is what was free")


def run() -> list[Row]:
    return [row for size in SIZES for row in _size_rows(size)] + [_threads_row()]
