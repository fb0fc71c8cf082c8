"""DRF throttles that read their rates from settings.THROTTLE_RATES on each
request (DRF's own classes copy the rates once at import, so a changed
setting would never reach them). A refused request gets 429 with Retry-After.
The counters are in Django's cache (settings.CACHES), shared by every web
process: each counted request reads and writes it once per throttle."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class _FromSettings:
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)


class AnonThrottle(_FromSettings, AnonRateThrottle):
    pass


class UserThrottle(_FromSettings, UserRateThrottle):
    """Logged-in users only. DRF's counts an anonymous client too, by address,
    beside AnonThrottle's stricter budget for the same address: a second read
    and write of the shared cache on every anonymous request, for a limit
    that can never be the one reached."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedThrottle(_FromSettings, ScopedRateThrottle):
    """For views with a `throttle_scope` (submit, upload): a budget of their own."""

    def allow_request(self, request, view):
        # Only writes spend the scoped budget; reading a list is not a submission.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
