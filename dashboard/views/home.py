from django.conf import settings
from django.core.cache import cache as local_cache
from django.shortcuts import render

from runs import identity
from runs.models import Run
from runs.selectors import run_count, runs_listed

from .. import selectors, status
from .common import page


@page()
def home(request):
    return render(request, "dashboard/home.html", {
        "actor": settings.L1_ACTOR, "version": settings.VERSION,
        "software": identity.software(), "hardware": identity.hardware(),
        "counts": selectors.counts(),
        "latest_runs": runs_listed().select_related("owner", "output")[:8],
    })


@page()
def status_fragment(request):
    """Loaded by the home page (htmx) and refreshed every few seconds. The
    broker's answer is shared for a few seconds: a ping waits for replies, and
    ten open home pages should not ask ten times."""
    return render(request, "dashboard/_status.html", {
        **local_cache.get_or_set("dashboard:broker-status", status.broker_status, timeout=3),
        "active": run_count(status=Run.Status.RUNNING),
        "pending": run_count(status=Run.Status.PENDING),
    })
