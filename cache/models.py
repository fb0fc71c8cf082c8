from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Left, StrIndex
from django.utils import timezone

from engine.media import FORMATS


# The kind of a media type, the part before its "/" ("image" of "image/png"):
# what cache_by_kind indexes and what a kind filter compares (Django's own
# functions, so SQLite builds the index too).
MEDIA_KIND = Left("media_type", StrIndex("media_type", models.Value("/")) - 1)


class CacheItemQuerySet(models.QuerySet):
    def of_media_type(self, media_type: str) -> CacheItemQuerySet:
        """Items of one media type ("image/png"), or of every subtype of a
        kind given with its slash ("image/")."""
        if not media_type.endswith("/"):
            return self.filter(media_type=media_type)
        # LIKE 'image/%' alone can use a plain btree index only in the C
        # collation; in any other (C.UTF-8, en_US.UTF-8) a kind with no rows
        # would read every row to say so. Equality on the kind is a walk of
        # cache_by_kind in any collation; the prefix, checked on the rows
        # that walk yields, keeps the match exact.
        return self.alias(media_kind=MEDIA_KIND).filter(
            media_kind=media_type.partition("/")[0], media_type__startswith=media_type)


class CacheItem(models.Model):
    """One file in the content-addressed cache. The database is the index;
    the bytes live at store.cache_path(content_hash)."""

    class Origin(models.TextChoices):
        IMPORTED = "imported"
        UPLOADED = "uploaded"
        RENDERED = "rendered"

    class Kind(models.TextChoices):
        STILL = "still"
        ANIMATION = "animation"
        VIDEO = "video"
        AUDIO = "audio"

    content_hash = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=127, default="application/octet-stream")
    origin = models.CharField(max_length=16, choices=Origin.choices)
    original_name = models.CharField(max_length=255, blank=True)
    # Facts from engine.probe when the file entered the cache (blank for
    # files that are no media, and for items older than these fields until
    # `manage.py cache_probe` reads them); a file that failed to decode keeps
    # the reason instead, so runs can refuse it at submission. Width and
    # height are as shown (after a phone's rotation).
    kind = models.CharField(max_length=16, choices=Kind.choices, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frames = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds; 0 for a still
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    decode_error = models.TextField(blank=True)
    # Pinned items are kept by garbage collection even when nothing refers to them.
    pinned = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="cache_items")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CacheItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-content_hash"]
        indexes = [
            # GET /cache, newest first (cursor pagination walks this index).
            models.Index(fields=["-created_at", "-content_hash"], name="cache_newest"),
            # GET /cache?media_type=image/png and ?origin=rendered, each in
            # the keyset order (-created_at, -content_hash): no sort of
            # equal timestamps on any page.
            models.Index(fields=["media_type", "-created_at", "-content_hash"],
                         name="cache_by_type"),
            # GET /cache?media_type=image/ (a kind, every subtype): the kind's
            # rows in the keyset order (-created_at, -content_hash), so any
            # page is a walk whether the kind matches nothing or everything.
            models.Index(MEDIA_KIND, models.F("created_at").desc(), models.F("content_hash").desc(),
                         name="cache_by_kind"),
            models.Index(fields=["origin", "-created_at", "-content_hash"],
                         name="cache_by_origin"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="cache_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]}… ({self.media_type}, {self.size} B)"

    @property
    def is_image(self) -> bool:
        """A still or an animation (what image effects and thumbnails take)."""
        return self.kind in (self.Kind.STILL, self.Kind.ANIMATION)

    @property
    def is_visual(self) -> bool:
        """Has pictures: a still, an animation or a video."""
        return self.kind in (self.Kind.STILL, self.Kind.ANIMATION, self.Kind.VIDEO)

    @property
    def has_audio(self) -> bool:
        # Codecs are recorded for video and sound alike; a video without
        # sound has none.
        return bool(self.audio_codec)

    @property
    def format(self) -> str | None:
        for name, media_type in FORMATS.items():
            if media_type == self.media_type:
                return name
        return None
