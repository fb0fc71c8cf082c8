import json

from django.contrib import messages
from django.shortcuts import redirect, render

from cache.models import CacheItem
from live.pages import run_live_context
from runs import services
from runs.graphs import run_progress
from runs.models import Run
from runs.selectors import recipes_listed

from .. import selectors
from .common import error_page, page


@page()
def run_list(request):
    filters = {key: request.GET.get(key, "") for key in ("status", "recipe", "owner")}
    result = selectors.runs_browse(**filters, cursor=request.GET.get("after", ""))
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "dashboard/run_list.html", {
        "page": result, "filters": filters, "query": query.urlencode(),
        "statuses": Run.Status.values,
        "recipes": recipes_listed().values_list("name", flat=True),
        "first_page": not request.GET.get("after"),
    })


def _flat_inputs(run: Run) -> list[dict]:
    """One entry per input file: a graph's list input shows each member."""
    flat = []
    for ref in run.inputs:
        if isinstance(ref["content_hash"], list):
            flat += [{"name": f"{ref['name']}[{i}]", "content_hash": h}
                     for i, h in enumerate(ref["content_hash"], 1)]
        else:
            flat.append(ref)
    return flat


def _run_context(request, run_id: str) -> dict:
    run = services.run_get(run_id)
    inputs = _flat_inputs(run)
    items = CacheItem.objects.in_bulk([i["content_hash"] for i in inputs])
    steps = run_progress(run)
    return {
        "run": run,
        "inputs": [{**i, "item": items.get(i["content_hash"])} for i in inputs],
        "steps": steps,
        **run_live_context(run, steps),  # the graph, progress and ETA (the stream updates them)
        "live": run.status not in Run.FINISHED,
        "may_cancel": services.may_change(request.user, run) and run.status not in Run.FINISHED,
        "provenance_json": json.dumps(run.provenance, indent=2, sort_keys=True)
        if run.provenance else "",
    }


@page()
def run_page(request, run_id: str):
    return render(request, "dashboard/run_detail.html", _run_context(request, run_id))


@page()
def run_live(request, run_id: str):
    """The run page's live part; htmx polls it while the run is pending or
    running, and the finished version no longer asks to be polled."""
    return render(request, "dashboard/_run_live.html", _run_context(request, run_id))


@page(methods=("POST",))
def run_cancel(request, run_id: str):
    """The run page's Cancel button (a form POST from a browser). API clients
    posting to the same path still reach runs.views.RunCancel."""
    if not request.user.is_authenticated:
        return error_page(request, 403, "log in to cancel runs", "not_authenticated")
    run = services.run_cancel(run_id, by=request.user)
    messages.success(request, f"Run {run.id[:12]}… cancelled.")
    return redirect(f"/runs/{run.id}")
