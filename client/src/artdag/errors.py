"""What the client raises: one exception type whose message is a whole,
clear sentence, so the command line can print it as its one line."""

from __future__ import annotations

import re


class ArtdagError(Exception):
    """Anything that stops a command: bad input, an unreachable server, a refusal."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ServerError(ArtdagError):
    """The server answered with an error: its status, code and own message."""

    retry_after = 1.0  # seconds, from a 429's Retry-After

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details or {}

    def __str__(self) -> str:
        hint = ""
        if self.status == 401:
            hint = " (run `artdag login URL`, or set ARTDAG_TOKEN)"
        return f"the server refused ({self.status} {self.code}): {self.message}{hint}"


class Unreachable(ArtdagError):
    """No answer from the server at all."""


class RunFailed(ArtdagError):
    """A run waited for ended failed or cancelled."""

    def __init__(self, message: str, run: dict):
        super().__init__(message)
        self.run = run


def server_error(response) -> ServerError:
    """The server's own error ({"error": {"code", "message", "details"}}), or
    the HTTP reason for an answer without one (a proxy's page)."""
    try:
        error = response.json()["error"]
        exc = ServerError(response.status_code, str(error["code"]), str(error["message"]),
                          error.get("details") or {})
    except (ValueError, KeyError, TypeError):
        exc = ServerError(response.status_code, "http_error",
                          response.reason or f"HTTP {response.status_code}")
    exc.retry_after = retry_after_of(response)
    return exc


def cause_of(exc: Exception) -> str:
    """The innermost cause, in a few words (requests nests urllib3's errors)."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] ([^'\")\]]+)", r"Failed to resolve '([^']+)'",
                    r"(Connection refused|Connection reset|timed out|Name or service not known)"):
        if match := re.search(pattern, text):
            return match.group(1).strip()
    return text[:200]


def retry_after_of(response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", 1)), 0.1)
    except ValueError:
        return 1.0
