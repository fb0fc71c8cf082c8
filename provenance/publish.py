"""Publishing completed runs to the L2 registry (contract: docs/L2.md).

The HTTP call runs in a worker, never in a web request: L2 calls back into
this server (GET /runs/{id}, its provenance, the output) before it answers,
and the web processes must be free to serve those callbacks.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import may_change
from l1site.celery import app
from l1site.errors import DomainError
from runs.models import Run
from runs.services import run_get

from .models import Publication

MAX_ANSWER_BYTES = 1024 * 1024
MAX_BACKOFF_SECONDS = 3600
HISTORY_LENGTH = 20
# No worker has tried it after this long: the broker lost the message (or was down at commit).
LOST_QUEUED = timedelta(minutes=10)
# Queued by name: provenance.tasks imports this module.
PUBLISH_RUN = "provenance.tasks.publish_run"


def queue_option() -> dict:
    """Where publish tasks go: L2_PUBLISH_QUEUE, else Celery's default (the render queue)."""
    return {"queue": settings.L2_PUBLISH_QUEUE} if settings.L2_PUBLISH_QUEUE else {}


def send_options() -> dict:
    # Celery takes time limits from the sender's message (retries keep them),
    # so they are set here from the current settings, not at import.
    return {**queue_option(), "soft_time_limit": attempt_limit(),
            "time_limit": attempt_limit() + 30}


def publication_request(run_id: str, *, by, l1_server: str) -> tuple[Publication, bool]:
    """Queue the run's publication (owner or staff, completed runs only).
    Returns (publication, queued); publishing again returns the same
    publication and queues nothing, unless the last one failed for good or
    its message was lost. `attempts` and `history` run across requeues."""
    run = run_get(run_id)
    if not may_change(by, run):
        raise DomainError("only the run's owner or staff may publish it",
                          code="permission_denied", status_code=403)
    if run.status != Run.Status.COMPLETED:
        raise DomainError(f"run is {run.status}; only completed runs can be published",
                          code="not_publishable", status_code=409)
    if not settings.L2_URL:
        raise DomainError("publishing is off on this server: L2_URL is not set",
                          code="l2_not_configured", status_code=409)
    if settings.L1_PRIVATE:
        raise DomainError("a private server (L1_PRIVATE) cannot publish: L2 could not read the "
                          "run back", code="server_private", status_code=409)
    with transaction.atomic():
        publication, created = Publication.objects.get_or_create(run=run, defaults={
            "l2_url": settings.L2_URL, "l1_server": l1_server,
            "requested_by": by})
        # Only a publication that failed for good (a 4xx, or out of retries), or
        # one lost from the queue, is queued again; the conditional updates let
        # one of several racing requests do it.
        stale = timezone.now() - LOST_QUEUED
        lost = Publication.objects.filter(
            # Queued with no attempt, or a retry long overdue: the message is gone.
            Q(status=Publication.Status.QUEUED, attempts=0, queued_at__lt=stale)
            | Q(status=Publication.Status.FAILED, next_retry_at__lt=stale),
            pk=publication.pk).update(status=Publication.Status.QUEUED, queued_at=timezone.now(),
                                      next_retry_at=None)
        queued = created or bool(lost) or bool(Publication.objects.filter(
            pk=publication.pk, status=Publication.Status.FAILED, next_retry_at=None).update(
            status=Publication.Status.QUEUED, l2_url=settings.L2_URL, l1_server=l1_server,
            requested_by=by, error="", l2_status=None, l2_response=None,
            queued_at=timezone.now(), updated_at=timezone.now()))
        if queued:
            pk = publication.pk
            transaction.on_commit(
                lambda: app.send_task(PUBLISH_RUN, args=[pk], **send_options()),
                robust=True)
    publication.refresh_from_db()
    return publication, queued


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (timeout, refused connection)
    body: object
    error: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the token to wherever L2 points: refuse, and say where.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"L2 redirected to {newurl}; set L2_URL "
                                     "to the final address", headers, fp)


def _body(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"text": raw[:2000].decode("utf-8", "replace")}


def l2_record_run(publication: Publication) -> Answer:
    """POST {L2_URL}/registry/record-run once."""
    payload = {"run_id": publication.run_id, "l1_server": publication.l1_server,
               "output_name": publication.run.output_name}
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "User-Agent": f"artdag-l1/{settings.VERSION}"}
    if settings.L2_TOKEN:
        headers["Authorization"] = f"Bearer {settings.L2_TOKEN}"
    request = urllib.request.Request(f"{publication.l2_url}/registry/record-run", method="POST",
                                     data=json.dumps(payload).encode("utf-8"), headers=headers)
    opener = urllib.request.build_opener(_NoRedirects)
    timeout = settings.L2_PUBLISH_TIMEOUT
    try:
        # The timeout bounds each wait on the socket (connecting, each read);
        # the task's soft time limit (attempt_limit) bounds an answer that trickles in.
        with opener.open(request, timeout=timeout) as reply:
            return Answer(reply.status, _body(reply.read(MAX_ANSWER_BYTES)), "")
    except SoftTimeLimitExceeded:
        return Answer(None, None, f"L2 did not finish answering within {attempt_limit()} s")
    except urllib.error.HTTPError as exc:
        try:
            body = _body(exc.read(MAX_ANSWER_BYTES)) if exc.fp else None
        except (OSError, TimeoutError):
            body = None
        return Answer(exc.code, body, f"L2 answered {exc.code}: {exc.reason}")
    except (TimeoutError, socket.timeout):
        return Answer(None, None, f"L2 did not answer within {timeout} s")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return Answer(None, None, f"L2 did not answer within {timeout} s")
        return Answer(None, None, f"could not reach L2: {exc.reason}")
    except OSError as exc:  # reset connections, bad status lines
        return Answer(None, None, f"could not reach L2: {exc}")


def attempt_limit() -> int:
    """The longest one attempt may take, however L2 paces its answer."""
    return 2 * settings.L2_PUBLISH_TIMEOUT


def backoff_seconds(retries_done: int) -> int:
    return min(settings.L2_PUBLISH_BACKOFF * 2 ** retries_done, MAX_BACKOFF_SECONDS)


def publication_attempt(publication_id: int, *, retries_done: int) -> int | None:
    """One call to L2, recorded on the publication. Returns the seconds to wait
    before retrying (a timeout, a 5xx or 429, no connection) or None when done
    (published, a final 4xx, or out of retries)."""
    publication = Publication.objects.select_related("run").filter(pk=publication_id).first()
    if publication is None or publication.status == Publication.Status.PUBLISHED:
        return None  # deleted, or a redelivered message after success
    answer = l2_record_run(publication)
    now = timezone.now()
    fields = {"l2_status": answer.status, "l2_response": answer.body, "updated_at": now,
              "attempts": publication.attempts + 1}
    if answer.status is not None and 200 <= answer.status < 300:
        body = answer.body if isinstance(answer.body, dict) else {}
        fields.update(status=Publication.Status.PUBLISHED, published_at=now, error="",
                      next_retry_at=None, record_id=str(body.get("record_id") or "")[:255])
        delay = None
    else:
        retry = answer.status is None or answer.status >= 500 or answer.status == 429
        delay = backoff_seconds(retries_done) if retry else None
        error = answer.error
        if delay is not None and retries_done >= settings.L2_PUBLISH_MAX_RETRIES:
            delay, error = None, f"{error}; gave up after {retries_done + 1} attempts"
        fields.update(status=Publication.Status.FAILED, error=error[:4000],
                      next_retry_at=now + timedelta(seconds=delay) if delay is not None else None)
    fields["history"] = [*publication.history, {
        "at": now.isoformat(), "l2_status": answer.status, "error": fields["error"],
        "next_retry_at": fields["next_retry_at"].isoformat() if fields["next_retry_at"] else None,
    }][-HISTORY_LENGTH:]
    Publication.objects.filter(pk=publication_id).update(**fields)
    return delay
