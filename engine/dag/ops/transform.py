"""TRANSFORM: brightness, contrast, saturation, hue, gamma, blur, sharpen, speed.

Colour work is integer or float32 elementwise arithmetic (bit-reproducible);
blur and sharpen reuse the effect library's kernels.
"""

import numpy as np

from engine import effects

from ._values import Audio, Clip


def _clip8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def _lut(op: str, amount: float) -> np.ndarray:
    levels = np.arange(256, dtype=np.float32)
    if op == "brightness":
        return _clip8(levels * np.float32(amount))
    if op == "contrast":
        return _clip8((levels - 128) * np.float32(amount) + 128)
    # gamma: amount > 1 brightens mid-tones
    return _clip8(255 * (levels / 255) ** np.float32(1 / max(amount, 1e-3)))


def _saturation(frame: np.ndarray, amount: float) -> np.ndarray:
    f = frame.astype(np.float32)
    grey = f[..., 0] * np.float32(0.299) + f[..., 1] * np.float32(0.587) + f[..., 2] * np.float32(0.114)
    return _clip8(grey[..., None] + (f - grey[..., None]) * np.float32(amount))


def _hue(frame: np.ndarray, degrees: float) -> np.ndarray:
    # Rotation about the grey axis in RGB space: a fixed 3x3 matrix per angle.
    angle = np.deg2rad(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    third, root = 1 / 3, np.sqrt(1 / 3)
    m = np.array([[cos + (1 - cos) * third, third * (1 - cos) - root * sin, third * (1 - cos) + root * sin],
                  [third * (1 - cos) + root * sin, cos + third * (1 - cos), third * (1 - cos) - root * sin],
                  [third * (1 - cos) - root * sin, third * (1 - cos) + root * sin, cos + third * (1 - cos)]],
                 dtype=np.float32)
    f = frame.astype(np.float32)
    out = f[..., 0:1] * m[:, 0] + f[..., 1:2] * m[:, 1] + f[..., 2:3] * m[:, 2]
    return _clip8(out)


def _speed(clip: Clip, factor: float) -> Clip:
    audio = None
    if clip.audio is not None and len(clip.audio.samples):
        # Resampled by index: faster is higher, like a tape.
        count = max(1, int(len(clip.audio.samples) / factor))
        positions = np.minimum((np.arange(count) * factor).astype(np.int64),
                               len(clip.audio.samples) - 1)
        audio = Audio(clip.audio.samples[positions], clip.audio.rate)
    return Clip(list(clip.frames), [d / factor for d in clip.durations], audio)


def run(config: dict, inputs: list[Clip], ctx) -> Clip:
    clip, op, amount = inputs[0], config["op"], config["amount"]
    if op == "speed":
        if amount <= 0:
            raise effects.InvalidParams("speed must be above 0")
        return _speed(clip, amount)
    if op in ("brightness", "contrast", "gamma"):
        table = _lut(op, amount)
        frames = [table[f] for f in clip.frames]
    elif op == "saturation":
        frames = [_saturation(f, amount) for f in clip.frames]
    elif op == "hue":
        frames = [_hue(f, amount) for f in clip.frames]
    else:
        radius = max(0.0, min(abs(amount), 50.0))
        name, params = ("blur", {"sigma": radius}) if op == "blur" else \
            ("sharpen", {"amount": min(radius, 5.0)})
        effect = effects.get_effect(name)
        checked = effects.validate_params(effect, params)
        frames = [effects.apply(effect, [f], checked) for f in clip.frames]
    return Clip(frames, list(clip.durations), clip.audio)
