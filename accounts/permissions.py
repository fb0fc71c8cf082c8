from django.conf import settings
from rest_framework import permissions


class ReadOpenUnlessPrivate(permissions.BasePermission):
    """Anyone may read unless L1_PRIVATE is on; writing always needs a login.
    Object-level rules (owner or staff) live in the domain functions."""

    def has_permission(self, request, view):
        authenticated = bool(request.user and request.user.is_authenticated)
        if request.method in permissions.SAFE_METHODS:
            return authenticated or not settings.L1_PRIVATE
        return authenticated


class OpenUnlessPrivate(permissions.BasePermission):
    """For POSTs that change nothing (verifying a signature): anyone, unless private."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) or not settings.L1_PRIVATE


def may_change(user, obj) -> bool:
    """Owners and staff may change an object (rename, delete, cancel, publish);
    others only read it. An object without an owner is staff's."""
    return bool(user and user.is_authenticated and (user.is_staff or obj.owner_id == user.pk))
