"""Token scopes: what a named API token may do, and what each request needs.

A token holds a set of scopes:

- ``read``: what anonymous reads allow, plus private reads when L1_PRIVATE is on;
- ``render``: read, and upload, submit, cancel and publish one's own runs,
  register assets and store recipes;
- ``admin``: everything its user may do (tokens made before scopes existed,
  and DRF authtoken keys, have it).

Each scope includes the ones before it, so a render token can follow the runs
it submits. The scope a request needs is decided here, in one place, from its
view and method: safe methods need ``read``, others ``render``, and the table
below names the exceptions. A view elsewhere may also say so itself with a
``token_scopes = {"POST": "admin"}`` attribute.
"""

from __future__ import annotations

from rest_framework import permissions

READ, RENDER, ADMIN = "read", "render", "admin"
SCOPES = (READ, RENDER, ADMIN)  # in order: each includes those before it
ALL = (ADMIN,)

# Requests whose scope is not the default, by view (module.Class) and method.
# tests/accounts/test_scopes.py checks that every view named here is routed.
EXCEPTIONS: dict[str, dict[str, str]] = {
    # POSTs that change nothing: a read token may ask them.
    "runs.views.RunPlan": {"POST": READ},
    "cache.views.CachePresence": {"POST": READ},
    "provenance.views.ProvenanceVerify": {"POST": READ},
    # Staff work and changes beyond one's own renders.
    "cache.views.CacheImport": {"POST": ADMIN},
    "assets.views.AssetDetail": {"PATCH": ADMIN, "DELETE": ADMIN},
    # Managing tokens: a leaked token must not mint or revoke others.
    "accounts.views.TokenListCreate": {"POST": ADMIN},
    "accounts.views.TokenRevoke": {"DELETE": ADMIN},
}


def view_name(view) -> str:
    cls = view if isinstance(view, type) else type(view)
    return f"{cls.__module__}.{cls.__qualname__}"


def required_scope(view, method: str) -> str:
    """The scope a request with this method to this view needs."""
    method = method.upper()
    own = getattr(view, "token_scopes", None) or {}
    if method in own:
        return own[method]
    table = EXCEPTIONS.get(view_name(view), {})
    if method in table:
        return table[method]
    return READ if method in permissions.SAFE_METHODS else RENDER


def grants(scopes, needed: str) -> bool:
    """Does a token with these scopes allow what needs `needed`?"""
    rank = SCOPES.index(needed)
    return any(SCOPES.index(s) >= rank for s in scopes if s in SCOPES)


def normalize(scopes) -> list[str]:
    """A request's scopes, checked: a non-empty list of known names, returned
    in canonical order without repeats. Raises ValueError naming the fault."""
    if isinstance(scopes, str) or not isinstance(scopes, (list, tuple)):
        raise ValueError(f"scopes must be a list of names from {', '.join(SCOPES)}")
    if not scopes:
        raise ValueError(f"scopes must name at least one of {', '.join(SCOPES)}")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
    return [s for s in SCOPES if s in scopes]
