"""Graph recipes on the server: storing versions, planning and submitting runs.

Rendering the steps is in runs/steps.py. A graph run is planned once, at
submission: each node becomes a Step row keyed by its cache id (engine.dag.plan),
shared by every run whose plan holds the same id, so a step two runs share is
rendered once and a re-run with one parameter changed renders only what changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_store_bytes
from engine.canonical import canonical_bytes, hash_object
from engine.dag import plan as planning
from engine.dag.document import RecipeInvalid
from engine.dag.execute import list_manifest
from engine.dag.validate import validate
from engine.errors import InvalidParams
from l1site.exceptions import DomainError, NotFound

from .models import Recipe, RecipeVersion, Run, RunInput, RunStep, Step
from .services import lock_inputs, refuse_over_active_limit


def recipe_post(source, *, owner=None) -> tuple[RecipeVersion, bool]:
    """Validate a recipe document and store it as its name's latest version.
    Returns (version, created); posting the same document again creates nothing."""
    try:
        document = validate(source)
    except RecipeInvalid as exc:
        raise DomainError(f"the recipe is not valid: {exc}", code="invalid_recipe",
                          details={"errors": exc.errors}) from None
    size = len(canonical_bytes(document))
    if size > settings.MAX_RECIPE_BYTES:
        raise DomainError(f"recipe is {size} bytes; the limit is {settings.MAX_RECIPE_BYTES}",
                          code="recipe_too_large", status_code=413)
    content_hash = hash_object(document)
    text = source if isinstance(source, str) else (
        source.decode("utf-8", "replace") if isinstance(source, bytes) else "")
    user = owner if getattr(owner, "is_authenticated", False) else None
    with transaction.atomic():
        recipe, _ = Recipe.objects.select_for_update().get_or_create(
            name=document["name"], defaults={"kind": Recipe.Kind.GRAPH, "definition": document,
                                             "definition_hash": content_hash})
        if recipe.kind != Recipe.Kind.GRAPH:
            raise DomainError(f"'{recipe.name}' is a built-in effect chain; choose another name",
                              code="name_taken", status_code=409)
        version, created = RecipeVersion.objects.get_or_create(
            content_hash=content_hash,
            defaults={"recipe": recipe, "document": document, "source": text, "owner": user})
        if recipe.definition_hash != content_hash or created:
            recipe.definition, recipe.definition_hash = document, content_hash
            recipe.description = document["description"]
            recipe.updated_at = timezone.now()
            recipe.save(update_fields=["definition", "definition_hash", "description",
                                       "updated_at"])
    return version, created


def recipe_version(name: str, content_hash: str) -> RecipeVersion:
    version = RecipeVersion.objects.filter(recipe__name=name, content_hash=content_hash).first()
    if version is None:
        raise NotFound(f"recipe '{name}' has no version {content_hash}")
    return version


def _resolve(ref: str) -> str:
    """An asset name to its content hash (hashes are checked in _check_sources)."""
    asset = Asset.objects.filter(name=ref).first() if isinstance(ref, str) else None
    if asset is None:
        raise InvalidParams(f"'{ref}' is neither a 64-hex content hash nor an asset name")
    return asset.content_id


def graph_plan(recipe: Recipe, inputs, params) -> planning.Plan:
    try:
        plan = planning.build(recipe.definition, inputs=inputs, params=params, resolve=_resolve)
    except InvalidParams as exc:
        raise DomainError(str(exc), code="invalid_run") from None
    _check_sources(plan)
    return plan


def _check_sources(plan: planning.Plan) -> None:
    wanted = set()
    for step in plan.steps:
        if step.type == "SOURCE" and not step.inputs:
            wanted.update(step.items if step.items is not None else [step.cache_id])
    found = dict(CacheItem.objects.filter(pk__in=wanted).values_list("pk", "decode_error"))
    for content_hash in sorted(wanted):
        if content_hash not in found:
            raise DomainError(f"no cached content with hash {content_hash}",
                              code="unknown_input")
        if found[content_hash]:
            raise DomainError(f"input {content_hash} cannot be decoded: {found[content_hash]}",
                              code="undecodable_input")


def plan_report(plan: planning.Plan) -> dict:
    """The plan as the API shows it: steps in order, each cached or not."""
    done = set(Step.objects.filter(pk__in=[s.cache_id for s in plan.steps],
                                   status=Step.Status.DONE).values_list("pk", flat=True))
    sources = set(CacheItem.objects.filter(
        pk__in=[s.cache_id for s in plan.steps if s.type == "SOURCE"]).values_list("pk", flat=True))
    return {
        "steps": [{"node": s.node, "type": s.type, "cache_id": s.cache_id, "config": s.config,
                   "inputs": s.inputs, "cached": s.cache_id in done or s.cache_id in sources}
                  for s in plan.steps],
        "outputs": plan.outputs,
    }


def _spec(step: planning.Step) -> dict:
    return {"node": step.node, "type": step.type, "config": step.config, "inputs": step.inputs,
            "items": list(step.items) if step.items is not None else None}


def _source_row(step: planning.Step) -> Step:
    """Sources are done from the start: their bytes are in the cache already
    (a list's manifest is written here)."""
    if step.items is not None:
        data, media_type = list_manifest(list(step.items))
        item = cache_store_bytes(data, origin=CacheItem.Origin.RENDERED, name=f"{step.node}.json")
    else:
        item = CacheItem.objects.get(pk=step.cache_id)
        media_type = item.media_type
    return Step(cache_id=step.cache_id, type="SOURCE", spec=_spec(step), status=Step.Status.DONE,
                output=item, media_type=media_type, finished_at=timezone.now())


def graph_run_id(recipe: Recipe, plan: planning.Plan) -> str:
    """The outputs' cache ids already hash inputs (in order), params and code."""
    return hash_object({"recipe": {"name": recipe.name, "content_hash": recipe.definition_hash},
                        "outputs": plan.outputs})


def graph_submit(*, recipe: Recipe, inputs, params, output_name: str = "",
                 owner=None) -> tuple[Run, bool]:
    """Create the run and its steps (or find them), and schedule it after commit."""
    from .steps import queue_schedule

    plan = graph_plan(recipe, inputs, params)
    run_id = graph_run_id(recipe, plan)
    user = owner if getattr(owner, "is_authenticated", False) else None
    bound = planning._bind_inputs(recipe.definition, inputs)
    # Each input as the run saw it: a content hash (asset names resolved), or a list of them.
    resolved = {s.config["name"]: list(s.items) if s.items is not None else
                (s.inputs[0] if s.inputs else s.cache_id)
                for s in plan.steps if s.type == "SOURCE" and s.config.get("input")}
    with transaction.atomic():
        lock_inputs(sorted({s.cache_id for s in plan.steps if s.type == "SOURCE"
                             and not s.inputs and s.items is None}
                            | {i for s in plan.steps if s.items for i in s.items}))
        if not Run.objects.filter(pk=run_id).exists():
            refuse_over_active_limit(owner)
        run, created = Run.objects.get_or_create(id=run_id, defaults={
            "recipe": recipe, "recipe_name": recipe.name, "recipe_hash": recipe.definition_hash,
            "inputs": [{"name": name, "content_hash": resolved[name]} for name in bound],
            "params": params or {}, "owner": user,
            "output_name": output_name or f"{recipe.name}-{run_id[:12]}",
            "plan": {"steps": [{**_spec(s), "cache_id": s.cache_id, "deps": list(s.depends_on)}
                               for s in plan.steps], "outputs": plan.outputs}})
        if created:
            _create_steps(run, plan)
            # Rows per input file: "which runs used this file" (lineage) is an index lookup.
            RunInput.objects.bulk_create([RunInput(run=run, position=i, content_hash=h)
                                          for i, h in enumerate(_source_hashes(run))])
        queued = created or bool(Run.objects.filter(
            pk=run_id, status__in=[Run.Status.FAILED, Run.Status.CANCELLED]).update(
            status=Run.Status.PENDING, error="", started_at=None, finished_at=None,
            cancelled_by=None, queued_at=None))
        if queued and not created:
            # A retry resumes: done steps stay done, failed ones are tried again.
            Step.objects.filter(run_steps__run=run, status=Step.Status.FAILED).update(
                status=Step.Status.PENDING, error="", attempts=0)
            run.refresh_from_db()
        if queued:
            queue_schedule(run_id)
    return run, queued


def _create_steps(run: Run, plan: planning.Plan) -> None:
    existing = set(Step.objects.filter(pk__in=[s.cache_id for s in plan.steps])
                   .values_list("pk", flat=True))
    for step in plan.steps:
        if step.cache_id in existing:
            continue
        row = _source_row(step) if step.type == "SOURCE" and not step.inputs else Step(
            cache_id=step.cache_id, type=step.type, spec=_spec(step))
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            pass  # another run planned the same step at the same moment: share it
        existing.add(step.cache_id)
    RunStep.objects.bulk_create([RunStep(run=run, step_id=s.cache_id, node=s.node)
                                 for s in plan.steps])


def run_progress(run: Run) -> dict | None:
    """Per-step progress of a graph run, for GET /runs/{id}."""
    if run.plan is None:
        return None
    rows = list(RunStep.objects.filter(run=run).select_related("step").order_by("id"))
    counts = {"total": len(rows), "done": 0, "cached": 0, "running": 0, "failed": 0,
              "pending": 0}
    items = []
    for row in rows:
        step = row.step
        reused = step.status == Step.Status.DONE and (
            step.type == "SOURCE" and not step.spec.get("inputs")
            or (step.finished_at is not None and step.finished_at < run.created_at))
        state = "cached" if reused else step.status
        counts[state] += 1
        items.append({"node": row.node, "type": step.type, "cache_id": step.cache_id,
                      "status": state, "output_hash": step.output_id, "error": step.error,
                      "attempts": step.attempts})
    return {**counts, "items": items}



def _source_hashes(run: Run) -> list[str]:
    refs = [i["content_hash"] for i in run.inputs]
    return [h for ref in refs for h in (ref if isinstance(ref, list) else [ref])]


def graph_reproduce_hash(run: Run) -> str:
    """Render every step of the run again in a scratch store that holds only
    its sources, and return the delivered output's content hash."""
    import tempfile
    from pathlib import Path

    from cache import content
    from engine.dag import execute
    from engine.dag.store import DirectoryStore

    with tempfile.TemporaryDirectory(prefix="reproduce-") as scratch:
        store = DirectoryStore(Path(scratch))
        steps = [planning.Step(node=e["node"], type=e["type"], config=e["config"],
                               inputs=e["inputs"], cache_id=e["cache_id"],
                               depends_on=tuple(e["deps"]),
                               items=tuple(e["items"]) if e.get("items") is not None else None)
                 for e in run.plan["steps"]]
        for step in steps:
            if step.type == "SOURCE" and not step.inputs and step.items is None:
                item = CacheItem.objects.filter(pk=step.cache_id).first()
                try:
                    path = content.ensure_local(step.cache_id)
                except (content.ContentMissing, content.ContentCorrupt):
                    item = None
                if item is None:
                    raise DomainError(f"input {step.node} ({step.cache_id}) is no longer in "
                                      "the cache")
                store.put(path.read_bytes(), item.media_type)
        for step in steps:
            for member in step.items or ():
                if store.find(member) is None:
                    item = CacheItem.objects.get(pk=member)
                    store.put(content.ensure_local(member).read_bytes(), item.media_type)
        ctx = execute.Context(store, max_pixels=settings.MAX_PIXELS,
                              max_seconds=float(settings.MAX_MEDIA_SECONDS))
        plan = planning.Plan(steps, run.plan["outputs"])
        delivered = execute.execute(plan, ctx)
        name = "output" if "output" in delivered else next(iter(delivered))
        return store.content_hash(delivered[name])
