"""TRANSFORM: brightness, contrast, saturation, hue, gamma, blur, sharpen, speed.

Colour work is integer or float32 elementwise arithmetic (bit-reproducible),
applied frame by frame; blur and sharpen reuse the effect library's kernels.
Speed rescales the frames' timestamps and resamples the sound as it streams.
"""

from fractions import Fraction
from typing import Iterator

import numpy as np

from engine import effects

from . import _audio
from ._values import Clip, Frame, map_frames


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
    """Every timestamp divided by the factor; the sound resampled to match."""

    def opener(start: float) -> Iterator[Frame]:
        for frame in clip.frames(start * factor):
            yield Frame(frame.image, frame.start / factor, frame.duration / factor)

    audio = _audio.respeed(clip.audio, factor) if clip.audio is not None else None
    fps = (Fraction(clip.fps) * Fraction(factor)).limit_denominator(1001)
    return clip.with_(opener=opener, duration=clip.duration / factor, fps=fps, audio=audio)


def _picture_op(op: str, amount: float, threads: int = 1):
    """The function applied to every picture for a colour or focus op."""
    if op in ("brightness", "contrast", "gamma"):
        table = _lut(op, amount)
        return lambda frame: table[frame]
    if op == "saturation":
        return lambda frame: _saturation(frame, amount)
    if op == "hue":
        return lambda frame: _hue(frame, amount)
    radius = max(0.0, min(abs(amount), 50.0))
    name, params = ("blur", {"sigma": radius}) if op == "blur" else \
        ("sharpen", {"amount": min(radius, 5.0)})
    effect = effects.get_effect(name)
    checked = effects.validate_params(effect, params)
    return lambda frame: effects.apply(effect, [frame], checked, threads=threads)


def run(config: dict, inputs: list[Clip], ctx) -> Clip:
    clip, op, amount = inputs[0], config["op"], config["amount"]
    if op == "speed":
        if amount <= 0:
            raise effects.InvalidParams("speed must be above 0")
        if clip.still:
            return clip  # a still has no time to speed up
        return _speed(clip, amount)
    return map_frames(clip, _picture_op(op, amount, ctx.limits.effect_threads))
