"""Typed readers of the environment, for l1site.settings only.

Each reader returns its default when the variable is unset or blank, and
otherwise either a value of its type or ImproperlyConfigured naming the
variable, the value it got and what it expects: a typo in a deployment stops
start-up instead of being silently replaced by a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# user:password@ after the scheme's // (or at the start of a URL missing it).
_PASSWORD = re.compile(r"(^|//)([^/@:]*):[^@/]*@")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
# URL families: the schemes accepted and how an error message names them.
_URL_KINDS = {
    "http": (("http", "https"), "an http(s) URL"),
    "redis": (("redis", "rediss"), "a redis:// URL"),
    # A Celery broker: redis://, amqp://, filesystem://, sqs://, ...
    "broker": (None, "a broker URL such as redis://host:6379/0"),
}


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def _either(words: tuple[str, ...] | list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _shown(url: str) -> str:
    """The URL for an error message, its password masked (messages end up in
    logs), even in a URL too malformed to parse."""
    return repr(_PASSWORD.sub(r"\1\2:***@", url))


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = _raw(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (or 1/0, yes/no, on/off), got {raw!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, matched without regard to case and returned as spelled there."""
    raw = _raw(name)
    if not raw:
        return default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be {_either(choices)}, got {raw!r}")


def env_list(name: str, default: list[str], *, sep: str = ",") -> list[str]:
    raw = _raw(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(sep) if item.strip()]


def _check_url(name: str, value: str, kind: str, words: tuple[str, ...]) -> str:
    schemes, described = _URL_KINDS[kind]
    parts = urlsplit(value)
    if "://" in value and parts.scheme and (schemes is None or parts.scheme.lower() in schemes) \
            and (kind != "http" or parts.hostname):
        return value
    expected = _either([described, *(repr(w) for w in words)])
    raise ImproperlyConfigured(f"{name} must be {expected}, got {_shown(value)}")


def env_url(name: str, default: str, *, kind: str, words: tuple[str, ...] = ()) -> str:
    """A URL of one family (`kind`: http, redis or broker), or one of the plain `words`
    (ARTDAG_CACHE_URL=database). The default is trusted as written."""
    raw = _raw(name)
    if not raw:
        return default
    if raw in words:
        return raw
    return _check_url(name, raw, kind, words)


def env_urls(name: str, default: list[str], *, kind: str) -> list[str]:
    """Comma-separated URLs of one family, each checked."""
    return [_check_url(name, url, kind, ()) for url in env_list(name, default)]


def env_database_url(name: str, default: str, **options) -> dict:
    """A Django DATABASES entry from a database URL (dj_database_url)."""
    raw = _raw(name) or default
    try:
        return dj_database_url.parse(raw, **options)
    except ValueError as exc:  # dj_database_url's UnknownSchemeError among them
        raise ImproperlyConfigured(
            f"{name} must be a database URL such as postgres://user:password@host:5432/name "
            f"or sqlite:////absolute/path, got {_shown(raw)} ({exc})") from None


def _absolute(name: str, raw: str) -> Path:
    path = Path(raw).expanduser()
    # The web server, the workers and beat may start in different folders:
    # a relative path would name a different place in each.
    if not path.is_absolute():
        raise ImproperlyConfigured(f"{name} must be absolute (a path starting with / or ~), got {raw!r}")
    return path


def env_path(name: str, default: Path | None) -> Path | None:
    """An absolute path (~ expanded); `default` (perhaps None: "not set") when unset."""
    raw = _raw(name)
    return _absolute(name, raw) if raw else default


def env_paths(name: str, default: list[Path]) -> list[Path]:
    """Absolute paths separated like PATH (os.pathsep)."""
    raw = _raw(name)
    if not raw:
        return default
    return [_absolute(name, item.strip()) for item in raw.split(os.pathsep) if item.strip()]


_RATE = re.compile(r"\d+/(s|m|h|d)\w*")


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate: a count per s(econd), m(inute), h(our) or d(ay)."""
    raw = _raw(name)
    if not raw:
        return default
    if not _RATE.fullmatch(raw):
        raise ImproperlyConfigured(f"{name} must look like 100/min (a count per s, min, hour or day), "
                                   f"got {raw!r}")
    return raw


def refuse_retired(name: str, *, why: str, instead: str) -> None:
    """Stop start-up when a variable no longer read is set: silently ignoring it
    would leave an operator believing a limit holds that no longer exists."""
    if _raw(name):
        raise ImproperlyConfigured(f"{name} is no longer read ({why}): set {instead} instead")
