from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A named API token. Only the SHA-256 of the key is stored: the key is
    shown once, when it is created, and a leaked database reveals none."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)  # the lookup on every request
    prefix = models.CharField(max_length=12)  # shown in lists so people can tell keys apart
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Space-separated names from accounts.scopes.SCOPES. Tokens made before
    # scopes existed get "admin": they keep the full rights they had.
    scopes = models.CharField(max_length=64, default="admin")
    expires_at = models.DateTimeField(null=True, blank=True)  # null: never expires

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /tokens: one user's tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="token_by_user"),
        ]
        constraints = [
            # Names tell a user's live tokens apart; a revoked name may be reused.
            models.UniqueConstraint(fields=["user", "name"], condition=models.Q(revoked_at=None),
                                    name="token_live_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
