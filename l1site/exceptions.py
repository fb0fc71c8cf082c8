"""Domain errors: requests the domain refuses, each with an HTTP status and a
code. Plain Python, so parsers and services can raise them without pulling in
the API layer (l1site.errors turns them into responses)."""

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
