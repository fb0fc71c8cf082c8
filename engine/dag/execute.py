"""Run a plan step by step against a store, skipping every step already cached.

The store is anything with ``find(id) -> (path, media_type) | None`` (a step's
cache id, or a content hash) and ``save_file(cache_id, path, media_type,
step)``, which takes the file over (moves it into place). engine/dag/store.py
has a directory store; the server keeps steps in its content-addressed cache.
Running steps in parallel across workers is the server's business:
``run_step`` is the unit it schedules.

A step reads its inputs lazily (engine.dag.ops.avio.read), its op wraps them
in generators of its own, and the writer pulls frames through the chain one at
a time into the step's file: a recipe output (``Step.deliver``) straight in
its delivery format, any other step as a lossless intermediate.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from engine.canonical import canonical_bytes
from engine.errors import EngineError
from engine.limits import Limits

from . import plan as planning
from .ops import avio
from .ops._values import LIST_MEDIA_TYPE, Clip, Frame
from .plan import Plan, Step

OPS = {name: f"engine.dag.ops.{name.lower()}" for name in
       ("SOURCE", "EFFECT", "TRANSFORM", "RESIZE", "SEGMENT", "SEQUENCE", "LAYER", "BLEND", "MUX",
        "AUDIO_MIX", "ANALYZE", "MAP")}
PROGRESS_EVERY = 25  # frames between two progress reports


class MissingInput(EngineError):
    code = "missing_input"


@dataclass
class Context:
    store: Any
    limits: Limits = field(default_factory=Limits)
    temp_dir: str | Path | None = None  # where writers put files before the store takes them
    on_step: Callable[[Step, str], None] | None = None
    # (step, frames written, frames expected): the frame count is the
    # header's estimate, so done may pass total.
    on_progress: Callable[[Step, int, int], None] | None = None
    # (step, frame): a frame as it is written, at each progress report, for
    # whoever shows a preview of a long render.
    on_frame: Callable[[Step, Frame], None] | None = None
    executed: list[str] = field(default_factory=list)     # cache ids rendered here
    # The step running now, for messages: its node id, and its inputs' names
    # (the node feeding each slot or position).
    node: str | None = None
    input_names: dict[Any, str] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)  # node id -> cache id, in the plan run now

    def load(self, cache_id: str) -> Any:
        """The stored value, lazy: a Clip's pictures are decoded when read."""
        if cache_id not in self._memo:
            found = self.store.find(cache_id)
            if found is None:
                raise MissingInput(f"nothing is stored under {cache_id}")
            path, media_type = found
            self._memo[cache_id] = avio.read(path, media_type=media_type, limits=self.limits)
        return self._memo[cache_id]

    def run_graph(self, graph: dict, bindings: dict[str, str]) -> str:
        sub = planning._plan_dag({**graph, "inputs": list(bindings)}, {},
                                 lambda name: bindings[name], lambda ref: ref)
        run_plan(sub, self)
        return next(iter(sub.outputs.values()))


def _names(step: Step, ctx: Context) -> dict[Any, str]:
    """What to call each input in a message: the node that feeds it."""
    if isinstance(step.inputs, dict):
        # The node whose result the slot reads; its slot's name if that is
        # unknown (a step scheduled alone) or ambiguous (one file bound twice).
        feeding = {slot: {n for n in step.depends_on if ctx._ids.get(n) == cache_id}
                   for slot, cache_id in step.inputs.items()}
        return {slot: next(iter(nodes)) if len(nodes) == 1 else slot
                for slot, nodes in feeding.items()}
    # Positional inputs are planned in the order of the node's references.
    return {i: step.depends_on[i] if i < len(step.depends_on) else str(i)
            for i in range(len(step.inputs))}


def _counted(value: Any, step: Step, ctx: Context) -> Any:
    """The value with its frames counted for ``ctx.on_progress`` as the writer pulls them."""
    if ctx.on_progress is None or not isinstance(value, Clip):
        return value
    report, total, sample = ctx.on_progress, value.count, ctx.on_frame

    def opener(start: float) -> Iterator[Frame]:
        done = 0
        for frame in value.frames(start):
            yield frame
            done += 1
            if done % PROGRESS_EVERY == 0:
                report(step, done, total)
                if sample is not None:
                    sample(step, frame)
        report(step, done, total)

    return value.with_(opener=opener)


def _take_over(ctx: Context, step: Step, path: Path, media_type: str) -> None:
    try:
        ctx.store.save_file(step.cache_id, path, media_type, step)
    finally:
        # The store moves the file into place; if it failed, nothing keeps it.
        if os.path.exists(path):
            os.unlink(path)


def run_step(step: Step, ctx: Context) -> None:
    """Render one step whose inputs are stored, and store its result."""
    if step.type == "SOURCE" and not step.inputs:
        # A list input's manifest is derived from its members: write it here.
        if step.items is not None and ctx.store.find(step.cache_id) is None:
            _take_over(ctx, step, _manifest_file(list(step.items), ctx.temp_dir), LIST_MEDIA_TYPE)
        if ctx.store.find(step.cache_id) is None:
            raise MissingInput(f"input {step.node} ({step.cache_id}) is not in the cache")
        return
    inputs = ({k: ctx.load(v) for k, v in step.inputs.items()} if isinstance(step.inputs, dict)
              else [ctx.load(v) for v in step.inputs])
    module = importlib.import_module(OPS[step.type])
    outer = ctx.node, ctx.input_names  # a MAP runs steps of its own inside this one
    ctx.node, ctx.input_names = step.node, _names(step, ctx)
    try:
        value = module.run(step.config, inputs, ctx)
        path, media_type = avio.write(_counted(value, step, ctx), deliver=step.deliver,
                                      directory=ctx.temp_dir)
    finally:
        ctx.node, ctx.input_names = outer
    _take_over(ctx, step, Path(path), media_type)
    # Lazy values are cheap to read again; dropping them lets go of any sound
    # a step loaded whole.
    ctx._memo.clear()
    ctx.executed.append(step.cache_id)


def run_plan(plan: Plan, ctx: Context) -> None:
    outer, ctx._ids = ctx._ids, {s.node: s.cache_id for s in plan.steps}  # a MAP nests plans
    try:
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
    finally:
        ctx._ids = outer


def execute(plan: Plan, ctx: Context) -> dict[str, str]:
    """Run every step not yet cached; returns output name -> cache id. An
    output is delivered by its own step (``Step.deliver``), so the id names
    the delivered file."""
    run_plan(plan, ctx)
    return dict(plan.outputs)


def list_manifest(ids: list[str]) -> tuple[bytes, str]:
    return canonical_bytes({"items": ids}), LIST_MEDIA_TYPE


def _manifest_file(ids: list[str], directory: str | Path | None) -> Path:
    handle, name = tempfile.mkstemp(suffix=".json", dir=directory)
    with os.fdopen(handle, "wb") as out:
        out.write(list_manifest(ids)[0])
    return Path(name)
