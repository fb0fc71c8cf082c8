"""The effect library: a registry of pure, deterministic frame transforms.

A frame is a numpy uint8 array HxWx3 (RGB) or HxWx4 (RGBA). Each effect takes
one frame (or, for compositing effects, a list of frames) plus validated
keyword parameters and returns a new uint8 frame. Effects are pure and
bit-reproducible, so a render is identified by the hash of its inputs, the
normalized parameters and the effect's ``content_hash`` (which changes
whenever the effect's code does).

Public API: ``Param``, ``Effect``, ``REGISTRY``, ``register``, ``get_effect``,
``all_effects``, ``validate_params``, ``apply``, ``effect_info``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np

from engine.canonical import hash_object
from engine.effects import _common
from engine.effects._common import check_frame, use_threads
from engine.errors import InvalidParams

PARAM_KINDS = ("int", "float", "bool", "choice")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # one of PARAM_KINDS
    default: Any
    minimum: float | int | None = None
    maximum: float | int | None = None
    choices: tuple = ()
    help: str = ""


@dataclass(frozen=True)
class Effect:
    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[Param, ...]
    description: str
    min_inputs: int = 1
    max_inputs: int = 1
    per_frame: bool = True
    # Cross-parameter rule run after per-parameter validation; raises InvalidParams.
    check: Callable[[dict[str, Any]], None] | None = None

    @cached_property
    def content_hash(self) -> str:
        """Identifies the implementation: the source of the defining module,
        of every other effect module it calls into, of the shared kernels
        and of this registry (which normalizes the parameters), plus the
        versions of the libraries the kernels call.

        Any edit to an effect's code, or an upgrade of OpenCV or Pillow, gives
        a new hash, so a render made by other code is never served from the
        cache for this one (tests/engine/test_effect_versions.py)."""
        module = sys.modules[self.fn.__module__]
        names = sorted({module.__name__, _common.__name__, __name__} | _effect_modules(module))
        return hash_object(
            {
                "name": self.name,
                "sources": [inspect.getsource(sys.modules[name]) for name in names],
                "kernels": _common.KERNELS,
            }
        )

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


REGISTRY: dict[str, Effect] = {}


def _effect_modules(module) -> set[str]:
    """The engine.effects modules whose functions or selves ``module`` refers to."""
    names = set()
    for value in vars(module).values():
        origin = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", "")
        if isinstance(origin, str) and origin.startswith("engine.effects"):
            names.add(origin)
    return names


def _bad(effect: Effect, param: Param, message: str) -> InvalidParams:
    return InvalidParams(f"parameter '{param.name}' of effect '{effect.name}' {message}")


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _normalize_value(effect: Effect, param: Param, value: Any) -> Any:
    kind = param.kind
    if kind == "bool":
        if not _is_bool(value):
            raise _bad(effect, param, f"must be true or false, got {value!r}")
        return bool(value)
    if kind == "choice":
        return _normalize_choice(effect, param, value)

    # Numbers: bools and strings are never numbers here, even though Python
    # treats True as 1 and "3" looks like one.
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise _bad(effect, param, f"must be a number ({kind}), got {value!r}")
    as_float = float(value)
    if math.isnan(as_float) or math.isinf(as_float):
        raise _bad(effect, param, f"must be a finite number, got {value!r}")
    if kind == "int":
        if isinstance(value, numbers.Integral):
            number: int | float = int(value)
        elif as_float.is_integer():
            number = int(as_float)
        else:
            raise _bad(effect, param, f"must be a whole number, got {value!r}")
    else:
        number = as_float
    low, high = param.minimum, param.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise _bad(effect, param, f"must be between {low} and {high}, got {value!r}")
    return number


def _normalize_choice(effect: Effect, param: Param, value: Any) -> Any:
    for choice in param.choices:
        if isinstance(choice, str):
            if isinstance(value, str) and value == choice:
                return choice
        elif not _is_bool(value) and isinstance(value, numbers.Real):
            if float(value) == float(choice):
                return choice
    listed = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in param.choices)
    raise _bad(effect, param, f"must be one of {listed}, got {value!r}")


def validate_params(effect: Effect, params: dict[str, Any] | None) -> dict[str, Any]:
    """Return the complete, normalized parameters (defaults filled, keys sorted).

    Raises InvalidParams with a message fit for a user on anything wrong.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParams(
            f"params of effect '{effect.name}' must be an object, not {type(params).__name__}"
        )
    known = {p.name: p for p in effect.params}
    unknown = sorted(repr(k) for k in params if k not in known)
    if unknown:
        listed = ", ".join(sorted(known)) or "(none)"
        raise InvalidParams(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"for effect '{effect.name}'; known: {listed}"
        )
    out = {}
    for name in sorted(known):
        param = known[name]
        if name in params:
            out[name] = _normalize_value(effect, param, params[name])
        else:
            out[name] = param.default
    if effect.check is not None:
        effect.check(out)
    return out


def register(
    name: str,
    *params: Param,
    description: str,
    min_inputs: int = 1,
    max_inputs: int = 1,
    per_frame: bool = True,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Decorator adding an effect function to REGISTRY under name."""

    def decorate(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        # Mistakes here are programming errors, caught at import time.
        if name in REGISTRY:
            raise ValueError(f"effect {name!r} registered twice")
        if not 1 <= min_inputs <= max_inputs:
            raise ValueError(f"effect {name!r}: bad input range {min_inputs}..{max_inputs}")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"effect {name!r}: duplicate parameter names")
        effect = Effect(
            name=name,
            fn=fn,
            params=tuple(params),
            description=description,
            min_inputs=min_inputs,
            max_inputs=max_inputs,
            per_frame=per_frame,
            check=check,
        )
        for p in params:
            if p.kind not in PARAM_KINDS:
                raise ValueError(f"effect {name!r}: parameter {p.name!r} has kind {p.kind!r}")
            normalized = _normalize_value(effect, p, p.default)
            if type(normalized) is not type(p.default) or normalized != p.default:
                raise ValueError(f"effect {name!r}: default of {p.name!r} is not normalized")
        REGISTRY[name] = effect
        return fn

    return decorate


def get_effect(name: str) -> Effect:
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidParams(
            f"unknown effect {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def all_effects() -> list[Effect]:
    return [REGISTRY[name] for name in sorted(REGISTRY)]


def apply(
    effect: Effect | str, imgs: list[np.ndarray], params: dict[str, Any] | None,
    threads: int = 1,
) -> np.ndarray:
    """Run effect on the input frames with validated params; returns a new uint8 frame.

    ``threads``: how many threads the effect's kernels may split a frame
    over (ARTDAG_EFFECT_THREADS on the server). It changes the time only:
    every kernel computes each pixel on its own, so the bytes are the same.
    """
    if isinstance(effect, str):
        effect = get_effect(effect)
    if isinstance(imgs, np.ndarray):
        imgs = [imgs]
    count = len(imgs)
    if not effect.min_inputs <= count <= effect.max_inputs:
        wanted = (
            str(effect.min_inputs)
            if effect.min_inputs == effect.max_inputs
            else f"{effect.min_inputs} to {effect.max_inputs}"
        )
        raise InvalidParams(f"effect '{effect.name}' takes {wanted} input(s), got {count}")
    for img in imgs:
        check_frame(img)
    values = validate_params(effect, params)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1, got {threads!r}")
    use_threads(threads)
    if effect.max_inputs == 1:
        out = effect.fn(imgs[0], **values)
    else:
        out = effect.fn(list(imgs), **values)
    check_frame(out)
    return out


def effect_info(effect: Effect) -> dict[str, Any]:
    """JSON-serializable description of an effect for the API."""
    return {
        "name": effect.name,
        "description": effect.description,
        "inputs": {"min": effect.min_inputs, "max": effect.max_inputs},
        "params": [
            {
                "name": p.name,
                "type": p.kind,
                "default": p.default,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "choices": list(p.choices),
                "help": p.help,
            }
            for p in effect.params
        ],
        "content_hash": effect.content_hash,
    }


# Imported last: the modules call register() at import time.
from engine.effects import basic, color, compose, filters, geometry  # noqa: E402,F401
