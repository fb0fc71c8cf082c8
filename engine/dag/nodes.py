"""The node types a recipe graph may use: their configuration and their inputs.

This module only *describes* node types (what validation and planning need);
the code that executes them lives in engine/dag/ops, and each type's
implementation hash is taken from its executor module's source, so editing an
executor invalidates exactly the steps that used it.

Inputs are either positional (``inputs: [a, b]``, counted by ``min_inputs`` /
``max_inputs``) or named slots (``inputs: {base: a, overlay: b}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from engine.effects import Param

# What flows along an edge. "visual" is an image, an animation or a video
# (with or without sound); "any" is a SOURCE whose kind is only known when a
# run binds it.
KINDS = ("visual", "audio", "data", "list", "any")


@dataclass(frozen=True)
class Slot:
    name: str
    kinds: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class NodeType:
    name: str
    description: str
    params: tuple[Param, ...] = ()
    # Positional inputs (used when ``slots`` is empty).
    min_inputs: int = 1
    max_inputs: int = 1
    input_kinds: tuple[str, ...] = ("visual",)
    slots: tuple[Slot, ...] = ()
    output: str = "visual"
    # Configuration that is not a plain scalar (an effect's own params, a
    # sub-graph, a list of gains) is checked and normalized here.
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    extra_keys: tuple[str, ...] = field(default=())
    # Cross-parameter rule, after each parameter is valid (engine.effects API).
    check: Callable[[dict[str, Any]], None] | None = None

    @property
    def executor_module(self) -> str:
        return f"engine.dag.ops.{self.name.lower()}"


def _p(name: str, kind: str, default: Any, lo=None, hi=None, choices=(), help: str = "") -> Param:
    return Param(name, kind, default, lo, hi, tuple(choices), help)


BLEND_MODES = ("multiply", "screen", "overlay", "add", "subtract", "average", "difference",
               "lighten", "darken")
TRANSFORM_OPS = ("brightness", "contrast", "saturation", "hue", "gamma", "blur", "sharpen",
                 "speed")
MAX_SECONDS = 3600.0
MAX_SIDE = 8192

TYPES: dict[str, NodeType] = {}


def _register(node_type: NodeType) -> None:
    TYPES[node_type.name] = node_type


_register(NodeType(
    "SOURCE", "A recipe input bound by each run (input: true), an asset, or a fixed hash.",
    params=(_p("input", "bool", False), _p("list", "bool", False),
            _p("kind", "choice", "any", choices=("any", "visual", "audio")),
            _p("duration", "float", 0.0, 0.0, MAX_SECONDS,
               help="seconds a still lasts when it is used as a clip (0: one frame)")),
    min_inputs=0, max_inputs=0, input_kinds=(), output="any",
    extra_keys=("name", "asset", "hash")))
_register(NodeType(
    "EFFECT", "Any effect of the effect library, applied frame by frame.",
    min_inputs=1, max_inputs=16, extra_keys=("effect", "params")))
_register(NodeType(
    "TRANSFORM", "A colour, focus or time adjustment.",
    params=(_p("op", "choice", "brightness", choices=TRANSFORM_OPS),
            _p("amount", "float", 1.0, -360.0, 360.0,
               help="factor (brightness, contrast, saturation, gamma, speed), degrees (hue) "
                    "or radius in pixels (blur, sharpen)"))))
_register(NodeType(
    "RESIZE", "Scale to a size: fit inside, fill and crop, stretch, or pad.",
    params=(_p("width", "int", 640, 1, MAX_SIDE), _p("height", "int", 360, 1, MAX_SIDE),
            _p("mode", "choice", "fit", choices=("fit", "fill", "stretch", "pad")))))
_register(NodeType(
    "SEGMENT", "A time range of a video, animation or audio track.",
    params=(_p("start", "float", 0.0, 0.0, MAX_SECONDS),
            _p("duration", "float", 0.0, 0.0, MAX_SECONDS, help="0: to the end")),
    input_kinds=("visual", "audio"), output="same"))
_register(NodeType(
    "SEQUENCE", "Clips one after another, with cuts, crossfades or fades; with a beats "
                "input (an ANALYZE of music), each clip lasts from one beat to the next.",
    params=(_p("transition", "choice", "cut", choices=("cut", "crossfade", "fade")),
            _p("transition_duration", "float", 0.5, 0.0, 10.0),
            _p("width", "int", 0, 0, MAX_SIDE, help="0: the first clip's"),
            _p("height", "int", 0, 0, MAX_SIDE, help="0: the first clip's"),
            _p("fps", "float", 0.0, 0.0, 120.0, help="0: the first clip's"),
            _p("beats_per_cut", "int", 1, 1, 64)),
    slots=(Slot("clips", ("visual", "list")), Slot("beats", ("data",), required=False))))
_register(NodeType(
    "LAYER", "An overlay on a base, placed, scaled and faded.",
    params=(_p("x", "float", 0.0, -1.0, 1.0, help="left edge, as a fraction of the base width"),
            _p("y", "float", 0.0, -1.0, 1.0), _p("scale", "float", 1.0, 0.01, 10.0),
            _p("opacity", "float", 1.0, 0.0, 1.0)),
    slots=(Slot("base", ("visual",)), Slot("overlay", ("visual",)))))
_register(NodeType(
    "BLEND", "Two pictures combined pixel by pixel; the second is resized to the first.",
    params=(_p("mode", "choice", "average", choices=BLEND_MODES),
            _p("opacity", "float", 1.0, 0.0, 1.0)),
    slots=(Slot("a", ("visual",)), Slot("b", ("visual",)))))
_register(NodeType(
    "MUX", "A video's pictures with another track's sound.",
    slots=(Slot("video", ("visual",)), Slot("audio", ("audio", "visual")))))
_register(NodeType(
    "AUDIO_MIX", "Audio tracks mixed with gains, optionally normalized.",
    params=(_p("normalize", "bool", True),),
    min_inputs=1, max_inputs=16, input_kinds=("audio", "visual"), output="audio",
    extra_keys=("gains",)))
_register(NodeType(
    "ANALYZE", "Facts about media: duration, frame rate, size; for sound also the energy "
               "envelope, onsets, tempo and beat times.",
    params=(_p("min_bpm", "float", 60.0, 20.0, 300.0), _p("max_bpm", "float", 180.0, 20.0, 300.0)),
    input_kinds=("visual", "audio"), output="data"))
_register(NodeType(
    "MAP", "A sub-graph applied to each item of a list; its input is the SOURCE named 'item'.",
    input_kinds=("list",), output="list", extra_keys=("graph",)))


def get(name: Any) -> NodeType | None:
    return TYPES.get(name) if isinstance(name, str) else None


def type_info(node_type: NodeType) -> dict[str, Any]:
    """JSON description of a node type, for the API."""
    return {
        "type": node_type.name,
        "description": node_type.description,
        "params": [{"name": p.name, "type": p.kind, "default": p.default,
                    "minimum": p.minimum, "maximum": p.maximum,
                    "choices": list(p.choices) or None, "help": p.help}
                   for p in node_type.params],
        "extra_config": list(node_type.extra_keys),
        "inputs": ({"slots": [s.name for s in node_type.slots]} if node_type.slots else
                   {"min": node_type.min_inputs, "max": node_type.max_inputs}),
        "output": node_type.output,
    }
