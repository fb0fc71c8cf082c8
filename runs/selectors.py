"""The runs' and recipes' read queries, for the API (GET /runs, GET /recipes,
GET /) and the pages alike, so a filter or a count means the same on both.
They return querysets or plain values; the related rows to load are for each
caller to add, as what it shows needs them (the API's serializer reads
publications and steps, the pages read outputs)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from assets.models import Asset
from cache.models import CacheItem
from l1site.errors import DomainError

from .models import Recipe, Run


def runs_listed(*, status: str = "", recipe: str = "", owner: str = "") -> QuerySet[Run]:
    """Runs newest first, in one status, of one recipe, of one owner (by
    username), when asked. A status that is none is refused; an owner who is
    nobody owns no runs."""
    # Unfiltered, the run_newest index (-created_at, -id) is this order itself.
    runs = Run.objects.order_by("-created_at", "-id")
    if status:
        if status not in Run.Status.values:
            raise DomainError(f"status must be one of {', '.join(Run.Status.values)}",
                              code="invalid_filter")
        runs = runs.filter(status=status)  # run_by_status
    if recipe:
        runs = runs.filter(recipe_name=recipe)  # run_by_recipe
    if owner:
        user = get_user_model().objects.filter(username=owner).first()
        runs = runs.filter(owner=user) if user else runs.none()  # run_by_owner
    return runs


def runs_consuming(*, content_hash: str) -> QuerySet[Run]:
    """Runs that took this file as an input, a list input's members included
    (RunInput rows, index run_input_by_hash), newest first."""
    return (Run.objects.filter(input_rows__content_hash=content_hash).distinct()
            .order_by("-created_at"))


def run_count(*, status: str) -> int:
    # One status's count walks its part of run_by_status; run_counts reads them all.
    return Run.objects.filter(status=status).count()


def run_counts() -> dict[str, int]:
    """How many runs are in each status, every status named (0 for none)."""
    by_status = dict(Run.objects.values_list("status").annotate(n=Count("id")))
    return {s: by_status.get(s, 0) for s in Run.Status.values}


def recipes_listed() -> QuerySet[Recipe]:
    return Recipe.objects.order_by("name")


def server_counts() -> dict:
    """What the server holds, counted (GET / and the home page)."""
    return {
        "cache_items": CacheItem.objects.count(),
        "assets": Asset.objects.count(),
        "recipes": Recipe.objects.count(),
        "runs": run_counts(),
    }
