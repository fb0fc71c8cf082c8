"""What the client raises: one exception type whose message is a whole,
clear sentence, so the command line can print it as its one line."""

from __future__ import annotations


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
