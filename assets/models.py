from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

# Names are what people type (`render dog cat`): short, no spaces, and never
# 64 hex characters, which would read as a content hash.
NAME_PATTERN = r"^(?![0-9a-f]{64}$)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
name_validator = RegexValidator(
    NAME_PATTERN,
    "a name is 1-128 letters, digits, '.', '_' or '-', starts with a letter or digit, "
    "and is not a 64-hex content hash")


class Asset(models.Model):
    """A name for content in the cache: `cat` -> <hash>."""

    name = models.CharField(max_length=128, unique=True, validators=[name_validator])
    content = models.ForeignKey("cache.CacheItem", on_delete=models.PROTECT,
                                related_name="assets")
    tags = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="assets")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
