from urllib.parse import unquote_plus

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import has_vary_header, patch_cache_control

from .errors import error_body


class RefuseNulBytes:
    """PostgreSQL text cannot hold NUL, so a NUL anywhere in the path or query
    string could only end as a database error (a 500). Refuse it up front."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = unquote_plus(request.META.get("QUERY_STRING", ""))
        if "\x00" in request.path or "\x00" in query:
            return JsonResponse(error_body("invalid", "NUL bytes are not allowed in URLs"),
                                status=400)
        return self.get_response(request)


class ContentSecurityPolicy:
    """Django 5.2 has no CSP setting: send settings.CONTENT_SECURITY_POLICY on
    every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class PersonalAnswersArePrivate:
    """An answer that depends on who asks must never be kept by a shared
    cache for the next visitor. One that read the session (Django then adds
    Vary: Cookie) or answered a request with credentials (Authorization:
    a token, HTTP Basic) is marked `Cache-Control: private` unless its view
    said otherwise: Vary alone does not do, since many CDNs and proxies
    ignore Vary (and nginx's key leaves out cookies and tokens), and DRF
    adds no Vary: Authorization. Content, the same for everyone, reads no
    credentials and says public itself (cache.views.CacheContent)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (
                has_vary_header(response, "Cookie") or "HTTP_AUTHORIZATION" in request.META):
            patch_cache_control(response, private=True)
        return response
