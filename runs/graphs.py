"""Recipes on the server: storing versions, planning runs and recording plans.

Every recipe is a graph document (engine.dag); the built-in effect chains
are graphs too (runs/builtin.py). A run is planned once, at submission: each
node becomes a Step row keyed by its cache id (engine.dag.plan), shared by
every run whose plan holds the same id, so a step two runs share is rendered
once and a re-run with one parameter changed renders only what changed.
Rendering the steps is in runs/steps.py; submitting in runs/services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
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
from l1site.errors import DomainError, NotFound

from .builtin import CHAINS
from .inputs import check_sources
from .models import Recipe, RecipeVersion, Run, RunStep, Step


def recipe_post(source, *, owner=None, builtin: bool = False) -> tuple[RecipeVersion, bool]:
    """Validate a recipe document and store it as its name's latest version.
    Returns (version, created); posting the same document again creates
    nothing. The built-in recipes' names are kept for them (seed_demo)."""
    try:
        document = validate(source)
    except RecipeInvalid as exc:
        raise DomainError(f"the recipe is not valid: {exc}", code="invalid_recipe",
                          details={"errors": exc.errors}) from None
    if document["name"] in CHAINS and not builtin:
        raise DomainError(f"'{document['name']}' is a built-in recipe; choose another name",
                          code="name_taken", status_code=409)
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
            name=document["name"], defaults={"definition": document,
                                             "definition_hash": content_hash})
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


class _Resolver:
    """Asset names to content hashes, remembering which name gave which
    hash (messages name an input as it was given)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, ref) -> str:
        asset = Asset.objects.filter(name=ref).first() if isinstance(ref, str) else None
        if asset is None:
            raise DomainError(f"'{ref}' is neither a 64-hex content hash nor an asset name",
                              code="unknown_input")
        self.names[asset.content_id] = ref
        return asset.content_id


def graph_plan_unchecked(recipe: Recipe, inputs, params) -> tuple[planning.Plan, dict[str, str]]:
    """The run's plan, its inputs bound and its params applied, before its
    sources are looked at; and the asset names given, by hash."""
    resolve = _Resolver()
    try:
        plan = planning.build(recipe.definition, inputs=inputs, params=params, resolve=resolve)
    except InvalidParams as exc:
        code = exc.code if isinstance(exc, planning.WrongInputs) else "invalid_run"
        raise DomainError(str(exc), code=code) from None
    return plan, resolve.names


def graph_plan(recipe: Recipe, inputs, params) -> tuple[planning.Plan, dict[str, CacheItem]]:
    """The run's plan and the cache items its sources read, each checked
    (runs.inputs): a DomainError names the first input that cannot be used."""
    plan, names = graph_plan_unchecked(recipe, inputs, params)
    return plan, check_sources(plan, names)


def graph_run_id(recipe: Recipe, plan: planning.Plan) -> str:
    """The run id: SHA3-256 of the canonical encoding of::

        {"recipe": {"name": ..., "content_hash": <the recipe version's hash>},
         "outputs": {<output name>: <cache id>, ...}}

    The outputs' cache ids already hash the inputs (in the order the recipe
    declares them), the params and the code of every step, so equal requests
    get equal ids and any change gives a new one."""
    return hash_object({"recipe": {"name": recipe.name, "content_hash": recipe.definition_hash},
                        "outputs": plan.outputs})


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


def step_spec(step: planning.Step) -> dict:
    """What any worker needs to render the step (Step.spec)."""
    return {"node": step.node, "type": step.type, "config": step.config, "inputs": step.inputs,
            "items": list(step.items) if step.items is not None else None,
            "deliver": step.deliver}


def plan_json(plan: planning.Plan, items: dict[str, CacheItem]) -> dict:
    """The plan as a run keeps it (Run.plan). A source's media type rides
    along, so rendering reads no row to learn how to open it."""
    def entry(s: planning.Step) -> dict:
        extra = ({"media_type": items[s.cache_id].media_type}
                 if s.type == "SOURCE" and not s.inputs and s.cache_id in items else {})
        return {**step_spec(s), "cache_id": s.cache_id, "deps": list(s.depends_on), **extra}

    return {"steps": [entry(s) for s in plan.steps], "outputs": plan.outputs}


def stored_plan(recorded: dict) -> planning.Plan:
    """A run's recorded plan, as the engine runs it. Plans recorded before
    outputs were delivered by their own step mark none: their outputs are."""
    outputs = set(recorded["outputs"].values())
    return planning.Plan([
        planning.Step(node=e["node"], type=e["type"], config=e["config"], inputs=e["inputs"],
                      cache_id=e["cache_id"], depends_on=tuple(e["deps"]),
                      items=tuple(e["items"]) if e.get("items") is not None else None,
                      deliver=e.get("deliver", e["cache_id"] in outputs and e["type"] != "SOURCE"))
        for e in recorded["steps"]], dict(recorded["outputs"]))


def _source_row(step: planning.Step, items: dict[str, CacheItem]) -> Step:
    """Sources are done from the start: their bytes are in the cache already
    (a list's manifest is written here)."""
    if step.items is not None:
        data, media_type = list_manifest(list(step.items))
        output = cache_store_bytes(data, origin=CacheItem.Origin.RENDERED,
                                   name=f"{step.node}.json").pk
    else:
        output, media_type = step.cache_id, items[step.cache_id].media_type
    return Step(cache_id=step.cache_id, type="SOURCE", spec=step_spec(step),
                status=Step.Status.DONE, output_id=output, media_type=media_type,
                finished_at=timezone.now())


def create_steps(run: Run, plan: planning.Plan, items: dict[str, CacheItem]) -> None:
    """The plan's Step rows (those no other run made first) and the run's use of each."""
    lists = [s for s in plan.steps if s.items is not None]
    known = set(Step.objects.filter(pk__in=[s.cache_id for s in lists]).values_list(
        "pk", flat=True)) if lists else set()
    rows = [_source_row(s, items) if s.type == "SOURCE" and not s.inputs else
            Step(cache_id=s.cache_id, type=s.type, spec=step_spec(s))
            for s in plan.steps if s.cache_id not in known]
    # One INSERT: a step another run planned first (even at this very moment) is shared.
    Step.objects.bulk_create(rows, ignore_conflicts=True)
    RunStep.objects.bulk_create([RunStep(run=run, step_id=s.cache_id, node=s.node)
                                 for s in plan.steps])


# A listing's runs with their steps in two queries, not one per run (run_progress).
STEPS_PREFETCH = Prefetch("run_steps", queryset=RunStep.objects.select_related("step")
                          .order_by("id"))


def run_progress(run: Run) -> dict | None:
    """Per-step progress of a run, for GET /runs/{id} (None for runs from
    before recipes were graphs, which kept no plan)."""
    if run.plan is None:
        return None
    rows = list(run.run_steps.all()) if "run_steps" in getattr(
        run, "_prefetched_objects_cache", {}) else list(
        RunStep.objects.filter(run=run).select_related("step").order_by("id"))
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


def source_hashes(run: Run) -> list[str]:
    """Every file the run reads, in input order (a list input's members in turn)."""
    refs = [i["content_hash"] for i in run.inputs]
    return [h for ref in refs for h in (ref if isinstance(ref, list) else [ref])]
