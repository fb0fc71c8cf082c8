"""DRF throttles that read their rates from settings.THROTTLE_RATES on each
request (DRF's own classes copy the rates once at import, so a changed
setting would never reach them). A refused request gets 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class _FromSettings:
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)


class AnonThrottle(_FromSettings, AnonRateThrottle):
    pass


class UserThrottle(_FromSettings, UserRateThrottle):
    pass


class ScopedThrottle(_FromSettings, ScopedRateThrottle):
    """For views with a `throttle_scope` (submit, upload): a budget of their own."""

    def allow_request(self, request, view):
        # Only writes spend the scoped budget; reading a list is not a submission.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
