"""HTML error pages for browser navigations (API requests keep l1site.errors' JSON)."""

from .common import error_page


def bad_request(request, exception=None):
    return error_page(request, 400, "bad request", "bad_request")


def forbidden(request, exception=None):
    return error_page(request, 403, "forbidden", "forbidden")


def not_found(request, exception=None):
    return error_page(request, 404, f"nothing at {request.path}", "not_found")


def server_error(request):
    return error_page(request, 500, "internal error; the server log has details", "server_error")
