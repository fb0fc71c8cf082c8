"""The buttons that steer the queue: move a pending run to the front, and
cancel all of one's pending runs. Form POSTs from the pages; API clients
posting to the same paths reach runs.views."""

from django.contrib import messages
from django.shortcuts import redirect

from runs import services

from .common import error_page, page


@page(methods=("POST",))
def run_front(request, run_id: str):
    if not request.user.is_authenticated:
        return error_page(request, 403, "log in to move runs", "not_authenticated")
    run = services.run_move_to_front(run_id, by=request.user)
    messages.success(request, f"Run {run.id[:12]}… is next of your runs to start.")
    return redirect(f"/runs/{run.id}")


@page(methods=("POST",))
def runs_cancel_pending(request):
    if not request.user.is_authenticated:
        return error_page(request, 403, "log in to cancel runs", "not_authenticated")
    cancelled = services.runs_cancel_pending(by=request.user)
    messages.success(request, f"{len(cancelled)} pending run{'s' if len(cancelled) != 1 else ''} "
                              "cancelled.")
    return redirect(f"/runs?owner={request.user.username}")
