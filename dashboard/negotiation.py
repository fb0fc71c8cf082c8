"""HTML pages on the API's own paths.

A browser navigating to /runs/{id} sends `Accept: text/html,...`; API clients
(curl, requests, DRF's clients, fetch() by default) send `*/*`,
`application/json` or nothing. So a request whose Accept header names
text/html explicitly gets the page, and every other request gets exactly the
JSON it got before. Both carry `Vary: Accept` so a shared cache keeps them
apart. Paths with no JSON twin (/render, /upload, /cache/{hash}/detail...)
are ordinary routes in dashboard.urls.

The switch is a per-request URLconf (dashboard.browser_urls: the page routes
in front of the API's), so the API views and the OpenAPI schema stay
untouched.
"""

from __future__ import annotations

from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern
from django.utils.cache import patch_vary_headers

from .browser_urls import pages_on_api_paths

BROWSER_URLCONF = "dashboard.browser_urls"

# Only the pages on API paths, rooted as Django roots a URLconf (what
# django.urls.resolve builds for a module): whether a path has a page at all.
_PAGES = URLResolver(RegexPattern(r"^/"), pages_on_api_paths)


def wants_html(request) -> bool:
    """True when the Accept header names text/html with a non-zero quality."""
    for part in request.headers.get("Accept", "").split(","):
        media_type, *params = [p.strip() for p in part.split(";")]
        if media_type.lower() != "text/html":
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def _page_for(path: str):
    try:
        return _PAGES.resolve(path)
    except Resolver404:
        return None


class HtmlPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _page_for(request.path_info)
        if match and wants_html(request) and request.method in getattr(
                match.func, "page_methods", ("GET", "HEAD")):
            request.urlconf = BROWSER_URLCONF
        response = self.get_response(request)
        if match:
            patch_vary_headers(response, ["Accept"])
        return response
