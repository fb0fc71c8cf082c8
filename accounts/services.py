"""Actors and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from l1site.errors import DomainError, NotFound

from . import scopes as token_scopes
from .models import ApiToken

KEY_PREFIX = "l1_"
# last_used_at is a hint, not an audit log: write it at most once a minute per
# token instead of on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_PATTERN = r"^[\w .-]{1,64}$"
NAME_RULE = "a token name is 1-64 letters, digits, spaces, '.', '_' or '-'"
# The longest lifetime a token may be given, in days (ten years): beyond it
# "never" (no expires_in) says what is meant.
MAX_EXPIRES_IN = 3650
EXPIRES_RULE = f"expires_in is a whole number of days from 1 to {MAX_EXPIRES_IN}"


def actor_handle(user) -> str:
    """@<username>@<L1_DOMAIN> for a user; the server's own actor for system work."""
    return username_handle(user.username if getattr(user, "is_authenticated", False) else None)


def username_handle(username: str | None) -> str:
    """actor_handle for a username alone (None: the server's own actor)."""
    return f"@{username}@{settings.L1_DOMAIN}" if username else settings.L1_ACTOR


def hash_key(key: str) -> str:
    # Keys are 256 random bits, so a fast unsalted hash is enough: there is
    # nothing to guess, and equal keys must find their row.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_create(*, user, name: str, scopes=None,
                 expires_in: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its key; the key is never stored or shown again.
    `scopes` defaults to full rights (admin); `expires_in` is days, None for never."""
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise DomainError(NAME_RULE, code="invalid")
    try:
        chosen = token_scopes.normalize(list(token_scopes.ALL) if scopes is None else scopes)
    except ValueError as exc:
        raise DomainError(str(exc), code="invalid") from None
    expires_at = None
    if expires_in is not None:
        if (isinstance(expires_in, bool) or not isinstance(expires_in, int)
                or not 1 <= expires_in <= MAX_EXPIRES_IN):
            raise DomainError(EXPIRES_RULE, code="invalid")
        expires_at = timezone.now() + timedelta(days=expires_in)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(user=user, name=name, key_hash=hash_key(key),
                                            prefix=key[:10], scopes=" ".join(chosen),
                                            expires_at=expires_at)
    except IntegrityError:
        raise DomainError(f"you already have a token named '{name}'; revoke it or pick another "
                          "name", code="name_taken", status_code=409) from None
    return token, key


def token_revoke(*, user, token_id) -> ApiToken:
    """Revoke one of user's own tokens; someone else's token is 'not found'."""
    # ASCII digits only: str.isdigit() also admits "²", which int() refuses (a 500).
    digits = str(token_id).isascii() and str(token_id).isdigit()
    token = ApiToken.objects.filter(pk=token_id, user=user).first() if digits else None
    if token is None:
        raise NotFound(f"you have no token with id {token_id}")
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


class TokenExpired(Exception):
    def __init__(self, token: ApiToken):
        super().__init__(f"token '{token.name}' expired at "
                         f"{token.expires_at.isoformat(timespec='seconds')}; make a new one")


def token_authenticate(key: str) -> ApiToken | None:
    """The live token with this key; None for an unknown or revoked one.
    Raises TokenExpired for one past its expiry (its use is not recorded)."""
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=hash_key(key), revoked_at=None).first())
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired(token)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
