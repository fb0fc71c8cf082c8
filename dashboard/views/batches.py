"""The batch page: a contact sheet of the outputs as they arrive, refreshed
by htmx polling its own fragment while runs are unfinished (a plain reload
does the same without JavaScript)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from batches import services
from runs.models import Run
from runs.services import may_change

from .common import error_page, page


def _context(request, batch_id) -> dict:
    batch = services.batch_get(batch_id)
    counts = services.batch_counts(batch)
    live = counts["finished"] < counts["runs"]
    return {"batch": batch, "items": services.batch_items(batch), "counts": counts,
            "live": live, "may_cancel": live and may_change(request.user, batch),
            "by_status": [(status, counts[status]) for status in Run.Status.values
                          if counts[status]]}


@page()
def batch_page(request, batch_id: str):
    return render(request, "batches/batch_detail.html", _context(request, batch_id))


@page()
def batch_sheet(request, batch_id: str):
    return render(request, "batches/_sheet.html", _context(request, batch_id))


@page(methods=("POST",))
def batch_cancel(request, batch_id: str):
    if not request.user.is_authenticated:
        return error_page(request, 403, "log in to cancel batches", "not_authenticated")
    batch, cancelled = services.batch_cancel(batch_id, by=request.user)
    messages.success(request, f"Batch cancelled: {cancelled} run{'s' if cancelled != 1 else ''} "
                              "stopped.")
    return redirect(f"/batches/{batch.id}")
