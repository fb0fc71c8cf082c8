from django.conf import settings
from django.db import models
from django.utils import timezone

from engine.media import FORMATS


class CacheItem(models.Model):
    """One file in the content-addressed cache. The database is the index;
    the bytes live at store.cache_path(content_hash)."""

    class Origin(models.TextChoices):
        IMPORTED = "imported"
        UPLOADED = "uploaded"
        RENDERED = "rendered"

    content_hash = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=127, default="application/octet-stream")
    origin = models.CharField(max_length=16, choices=Origin.choices)
    original_name = models.CharField(max_length=255, blank=True)
    # Filled for images that decoded fully when they entered the cache; a file
    # that failed keeps the reason, so runs can refuse it at submission.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frames = models.PositiveIntegerField(null=True, blank=True)
    decode_error = models.TextField(blank=True)
    # Pinned items are kept by garbage collection even when nothing refers to them.
    pinned = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="cache_items")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-content_hash"]
        indexes = [
            # GET /cache, newest first (cursor pagination walks this index).
            models.Index(fields=["-created_at", "-content_hash"], name="cache_newest"),
            # GET /cache?media_type=image/png and ?origin=rendered.
            models.Index(fields=["media_type", "-created_at"], name="cache_by_type"),
            models.Index(fields=["origin", "-created_at"], name="cache_by_origin"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="cache_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]}… ({self.media_type}, {self.size} B)"

    @property
    def is_image(self) -> bool:
        return self.media_type in FORMATS.values() and self.width is not None

    @property
    def format(self) -> str | None:
        for name, media_type in FORMATS.items():
            if media_type == self.media_type:
                return name
        return None
