"""What every page view shares: refusals become an HTML page with the right
status (never a 500), and each view says which methods it serves as a page."""

from __future__ import annotations

import functools

from django.http import Http404
from django.shortcuts import render

from l1site.errors import DomainError


def error_page(request, status: int, message: str, code: str = "error"):
    return render(request, "dashboard/error.html",
                  {"status": status, "message": message, "code": code}, status=status)


def page(methods: tuple[str, ...] = ("GET", "HEAD")):
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error_page(request, 405, f"{request.method} is not allowed here",
                                  "method_not_allowed")
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                return error_page(request, exc.status_code, exc.message, exc.code)
            except Http404:
                return error_page(request, 404, f"nothing at {request.path}", "not_found")
        # Read by dashboard.negotiation: which methods a browser gets this page for.
        wrapper.page_methods = methods
        return wrapper
    return decorate
