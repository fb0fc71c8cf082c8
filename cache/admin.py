from django.contrib import admin

from .models import CacheItem


@admin.register(CacheItem)
class CacheItemAdmin(admin.ModelAdmin):
    list_display = ["content_hash", "media_type", "size", "origin", "width", "height", "created_at"]
    list_filter = ["origin", "media_type"]
    search_fields = ["content_hash__startswith", "original_name"]
    readonly_fields = [f.name for f in CacheItem._meta.fields]
    date_hierarchy = "created_at"
