"""Login lock-out, on django-axes.

Axes counts failed password logins in the database (so every web process
shares the counts) by the lock-out parameters in settings: a username from an
address, and an address for any username. This module gives axes what it
asks the project for: the client's address, and the answer to a locked-out
request (the form with the time left, or a 429 with Retry-After for the API);
and it adds what axes lacks: the exact time a lock-out ends, a log line for
each one, and a reset on success that forgets only that username from that
address (axes' own reset would forget every failure from the address, so an
attacker could clear it by logging into an account of their own).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_cool_off, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from l1site.errors import error_body

log = logging.getLogger("accounts.lockout")

DASHBOARD_LOGIN = "/login"
ADMIN_PREFIX = "/admin/"


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against. Behind ARTDAG_PROXY_COUNT
    reverse proxies it is the one the outermost proxy saw (each appends the
    address it was reached from to X-Forwarded-For); with none, the socket's.
    A header a client sent itself sits further left and is never read."""
    hops = settings.PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= hops and _is_address(forwarded[-hops]):
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def _is_address(text: str) -> bool:
    # The count is stored in an address column: a mangled header must not
    # become a database error.
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Lockout:
    until: datetime

    @property
    def seconds_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @classmethod
    def fresh(cls) -> "Lockout":
        """A whole cool-off from now: for a lock-out lifted between axes'
        check and the answer, which still refused the attempt."""
        return cls(timezone.now() + get_cool_off())

    def message(self) -> str:
        minutes = math.ceil(self.seconds_left / 60)
        return (f"Too many failed logins from this address: logging in is locked for "
                f"{minutes} more minute{'s' if minutes != 1 else ''} "
                f"(until {self.until:%H:%M} UTC).")


def _lock_end(groups: list[dict]) -> datetime | None:
    """Axes locks while the failures newer than the cool-off add up to the
    limit in any parameter group; so a group's lock ends when, counting its
    newest failures first, the one that reaches the limit grows older than
    the cool-off. The latest of the groups' ends, or None if none is locked."""
    cool_off = get_cool_off()
    since = timezone.now() - cool_off
    ends = []
    for group in groups:
        rows = (AccessAttempt.objects.filter(**group, attempt_time__gte=since)
                .order_by("-attempt_time").values_list("attempt_time", "failures_since_start"))
        total = 0
        for attempt_time, failures in rows:
            total += failures
            if total >= settings.AXES_FAILURE_LIMIT:
                ends.append(attempt_time + cool_off)
                break
    return max(ends) if ends else None


def lockout_for(request: HttpRequest, username: str | None) -> Lockout | None:
    """The lock-out on this request's address (and username), if any."""
    AxesProxyHandler.update_request(request)
    until = _lock_end(get_client_parameters(username, request.axes_ip_address,
                                            request.axes_user_agent, request,
                                            get_credentials(username)))
    return Lockout(until) if until else None


def locked_until(attempt: AccessAttempt) -> datetime | None:
    """For the admin list: when the lock-out covering this row's username and
    address ends (the address's own lock-out included), or None."""
    return _lock_end(get_client_parameters(attempt.username, attempt.ip_address,
                                           attempt.user_agent, attempt))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what a locked-out request gets. The login forms
    again, saying so with the time left; every other path (the API's password
    endpoint) the project's error shape. Both are 429 with Retry-After."""
    username = (credentials or {}).get("username") or request.POST.get("username") or None
    lock = lockout_for(request, username) or Lockout.fresh()
    if request.path == DASHBOARD_LOGIN:
        response = render(request, "dashboard/login.html", {
            "form": AuthenticationForm(request, initial={"username": username or ""}),
            "next": request.POST.get("next", ""), "locked_out": lock.message()}, status=429)
    elif request.path.startswith(ADMIN_PREFIX):
        response = render(request, "admin/login.html", {
            **admin.site.each_context(request), "title": "Log in",
            "app_path": request.get_full_path(), "username": request.user.get_username(),
            "form": AdminAuthenticationForm(request, initial={"username": username or ""}),
            "next": request.POST.get("next", ""), "locked_out": lock.message()}, status=429)
    else:
        response = JsonResponse(error_body("locked_out", lock.message(), {
            "retry_after": lock.seconds_left,
            "locked_until": lock.until.isoformat(timespec="seconds")}), status=429)
    response["Retry-After"] = str(lock.seconds_left)
    return response


def forget_failures(request: HttpRequest, username: str) -> int:
    """A success resets the count of this username from this address, and
    no other: the address's failures for other usernames still count."""
    address = client_address(request)
    count, _ = AccessAttempt.objects.filter(username=username, ip_address=address).delete()
    return count


def lift(*, username: str | None = None, address: str | None = None) -> int:
    """Staff lifting a lock-out: forget the failures of a username from an
    address, or (no username) every failure from an address."""
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if username is not None:
        attempts = attempts.filter(username=username)
    count, _ = attempts.delete()
    return count


def on_logged_in(sender, request, user, **kwargs) -> None:
    """django.contrib.auth's user_logged_in: a login through the login forms
    forgets that username's failures from that address."""
    if request is not None:  # force_login in tests and scripts passes none
        forget_failures(request, user.get_username())


def log_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """axes.signals.user_locked_out: one line per locked-out attempt. The
    username and address only; never a password (axes hands none over)."""
    lock = lockout_for(request, username)
    log.warning("login_locked_out username=%r address=%s path=%s until=%s",
                (username or "")[:150], ip_address, request.path,
                lock.until.isoformat(timespec="seconds") if lock else "-")
