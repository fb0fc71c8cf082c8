"""Errors: the domain errors services and parsers raise, and the one shape
every API error answer takes:

    {"error": {"code": "unknown_recipe", "message": "...", "details": {...}}}

Plain Python, so any layer can raise or build them without the API's
machinery; l1site.error_responses turns them (and DRF's and Django's own)
into responses.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses: carries an HTTP status and a code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.details = details or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}
