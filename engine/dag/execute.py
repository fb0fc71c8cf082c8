"""Run a plan step by step against a store, skipping every step already cached.

The store is anything with ``find(id) -> (path, media_type) | None`` (a step's
cache id, or a content hash) and ``save(cache_id, data, media_type, step)``.
engine/dag/store.py has a directory store; the server keeps steps in its
content-addressed cache. Running steps in parallel across workers is the
server's business: ``run_step`` is the unit it schedules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from engine.canonical import canonical_bytes, hash_object
from engine.errors import EngineError

from . import plan as planning
from .ops._values import LIST_MEDIA_TYPE
from .plan import Plan, Step

OPS = {name: f"engine.dag.ops.{name.lower()}" for name in
       ("SOURCE", "EFFECT", "TRANSFORM", "RESIZE", "SEGMENT", "SEQUENCE", "LAYER", "BLEND", "MUX",
        "AUDIO_MIX", "ANALYZE", "MAP")}


def _avio():
    # Imported on first use: PyAV adds about 28 MB to every process that
    # loads it, and the web server plans graphs but never decodes media.
    from .ops import avio

    return avio


class MissingInput(EngineError):
    code = "missing_input"


@dataclass
class Context:
    store: Any
    max_pixels: int
    max_seconds: float = 600.0
    executed: list[str] = field(default_factory=list)     # cache ids rendered here
    on_step: Callable[[Step, str], None] | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    def load(self, cache_id: str) -> Any:
        if cache_id not in self._memo:
            found = self.store.find(cache_id)
            if found is None:
                raise MissingInput(f"nothing is stored under {cache_id}")
            path, media_type = found
            self._memo[cache_id] = _avio().decode(path, media_type=media_type,
                                               max_pixels=self.max_pixels,
                                               max_seconds=self.max_seconds)
        return self._memo[cache_id]

    def run_graph(self, graph: dict, bindings: dict[str, str]) -> str:
        sub = planning._plan_dag({**graph, "inputs": list(bindings)}, {},
                                 lambda name: bindings[name], lambda ref: ref)
        run_plan(sub, self)
        return next(iter(sub.outputs.values()))


def run_step(step: Step, ctx: Context) -> None:
    """Render one step whose inputs are stored, and store its result."""
    import importlib

    if step.type == "SOURCE" and not step.inputs:
        # A list input's manifest is derived from its members: write it here.
        if step.items is not None and ctx.store.find(step.cache_id) is None:
            ctx.store.save(step.cache_id, *list_manifest(list(step.items)), step)
        if ctx.store.find(step.cache_id) is None:
            raise MissingInput(f"input {step.node} ({step.cache_id}) is not in the cache")
        return
    inputs = ({k: ctx.load(v) for k, v in step.inputs.items()} if isinstance(step.inputs, dict)
              else [ctx.load(v) for v in step.inputs])
    module = importlib.import_module(OPS[step.type])
    value = module.run(step.config, inputs, ctx)
    data, media_type = _avio().encode(value)
    ctx.store.save(step.cache_id, data, media_type, step)
    ctx._memo[step.cache_id] = value
    ctx.executed.append(step.cache_id)


def run_plan(plan: Plan, ctx: Context) -> None:
    for step in plan.steps:
        if step.type != "SOURCE" or step.inputs:
            if ctx.store.find(step.cache_id) is not None:
                if ctx.on_step:
                    ctx.on_step(step, "cached")
                continue
        if ctx.on_step:
            ctx.on_step(step, "running")
        run_step(step, ctx)
        if ctx.on_step:
            ctx.on_step(step, "done")


def delivery_id(cache_id: str) -> str:
    return hash_object({"deliver": cache_id, "format": "mp4"})


def deliver(cache_id: str, ctx: Context) -> str:
    """The cache id of an output in its delivery format: moving pictures as
    MP4 (H.264/AAC); stills, sound and data are delivered as stored."""
    found = ctx.store.find(cache_id)
    if found is None or not found[1].startswith("video/x-matroska"):
        return cache_id
    target = delivery_id(cache_id)
    if ctx.store.find(target) is None:
        value = ctx.load(cache_id)
        data, media_type = _avio().encode(value, final=True)
        ctx.store.save(target, data, media_type, None)
        ctx.executed.append(target)
    return target


def execute(plan: Plan, ctx: Context) -> dict[str, str]:
    """Run every step not yet cached; returns output name -> delivered cache id."""
    run_plan(plan, ctx)
    return {name: deliver(cache_id, ctx) for name, cache_id in plan.outputs.items()}


def list_manifest(ids: list[str]) -> tuple[bytes, str]:
    return canonical_bytes({"items": ids}), LIST_MEDIA_TYPE
