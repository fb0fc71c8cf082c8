"""Renders every effect over photo-like pictures and prints the SHA-256 of
each output, with the CPU features OpenCV and numpy dispatch to, as JSON.

Run as ``python -m tests.engine.effect_bytes_child THREADS`` by
tests/engine/test_effect_bytes.py under several instruction-set settings;
plain Python, no Django, as the engine is.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys

import cv2
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__
from PIL import Image

from engine import effects
from tests.images import pattern
from tests.media_samples import picture

# A second, non-default parameter set per effect (the defaults are the first).
OTHER_PARAMS = {
    "blur": {"sigma": 7.3}, "sharpen": {"amount": 2.6, "sigma": 2.2},
    "edge": {"strength": 3.1}, "sepia": {"amount": 0.55},
    "dog": {"sigma": 2.3, "k": 2.1, "threshold": 0.002, "sharpness": 17.0, "levels": 9,
            "line_strength": 0.7},
    "posterize": {"levels": 7}, "brightness": {"factor": 1.37}, "contrast": {"factor": 0.61},
    "pixelate": {"block": 13}, "resize": {"width": 517, "resample": "bicubic"},
    "rotate": {"degrees": 270}, "flip": {"axis": "vertical"},
}
FIRST_PARAMS = {"resize": {"height": 129}}


def photo(width: int, height: int, seed: int) -> np.ndarray:
    """Gradients, noise, flat shapes and hard edges, through a JPEG
    encoder and decoder, as a camera or an editor would hand them over."""
    mixed = (pattern(width, height, seed).astype(np.uint16)
             + picture(width, height, seed)) // 2
    out = io.BytesIO()
    Image.fromarray(mixed.astype(np.uint8)).save(out, format="JPEG", quality=88)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def inputs() -> dict[str, np.ndarray]:
    big = photo(1031, 773, 1)
    rgba = np.dstack([photo(257, 193, 2), pattern(257, 193, 3)[:, :, 0]])
    grey = np.repeat(photo(97, 61, 4)[:, :, 1:2], 3, axis=2)  # a grayscale photo as RGB
    return {"big": big, "rgba": rgba, "grey": grey, "tiny": photo(3, 2, 5),
            "pixel": photo(1, 1, 6)}


def hashes(threads: int) -> dict[str, str]:
    frames = inputs()
    out = {}
    for effect in effects.all_effects():
        for n, params in enumerate((FIRST_PARAMS.get(effect.name, {}),
                                    OTHER_PARAMS.get(effect.name, {}))):
            for name, frame in frames.items():
                imgs = [frame] * effect.min_inputs
                if effect.min_inputs > 1:  # hstack: a second, different picture
                    imgs[1] = np.ascontiguousarray(frame[::-1, : max(1, frame.shape[1] // 2)])
                result = effects.apply(effect, imgs, params, threads=threads)
                digest = hashlib.sha256(str(result.shape).encode() + result.tobytes())
                out[f"{effect.name}/{n}/{name}"] = digest.hexdigest()
    return out


def controls() -> dict[str, str]:
    """Kernels known NOT to be exact (float, vector-width dependent): their
    hashes must change under the settings, or the settings did nothing."""
    frame = inputs()["big"]
    floats = frame.astype(np.float32) / np.float32(64)
    outs = {"opencv addWeighted": cv2.addWeighted(frame, 1.7, frame[::-1].copy(), -0.7, 0),
            "opencv float blur": cv2.GaussianBlur(floats, (0, 0), 2.3),
            "numpy tanh": np.tanh(floats),
            "opencv magnitude": cv2.magnitude(floats, floats[::-1].copy())}
    return {k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in outs.items()}


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(json.dumps({
        "opencv_features": cv2.getCPUFeaturesLine(),
        "ipp": cv2.ipp.useIPP() and cv2.ipp.getIppVersion(),
        "numpy_x86_v3": bool(__cpu_features__.get("X86_V3")),
        "threads": threads,
        "hashes": hashes(threads),
        "controls": controls(),
    }))


if __name__ == "__main__":
    main()
