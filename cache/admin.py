from django.contrib import admin, messages

from .maintenance import cache_usage, quarantine
from .models import CacheItem
from .services import cache_verify_item


@admin.register(CacheItem)
class CacheItemAdmin(admin.ModelAdmin):
    list_display = ["content_hash", "media_type", "size", "origin", "width", "height", "created_at"]
    list_filter = ["origin", "media_type"]
    search_fields = ["content_hash__startswith", "original_name"]
    readonly_fields = [f.name for f in CacheItem._meta.fields]
    date_hierarchy = "created_at"

    actions = ["verify"]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "disk_usage": cache_usage()})

    @admin.action(description="Verify the selected files against their hashes")
    def verify(self, request, queryset):
        counts = {"ok": 0, "missing": 0, "corrupt": 0}
        for item in queryset:
            state = cache_verify_item(item)
            counts[state] += 1
            if state == "corrupt":
                quarantine(item.pk)  # never serve bytes that are not what their name says
        level = messages.SUCCESS if counts["ok"] == len(queryset) else messages.ERROR
        self.message_user(request, f"{counts['ok']} ok, {counts['missing']} missing, "
                                   f"{counts['corrupt']} corrupt (moved to quarantine)", level)
