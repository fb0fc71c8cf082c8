from urllib.parse import unquote_plus

from django.conf import settings
from django.http import JsonResponse

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
