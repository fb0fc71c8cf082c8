from django.contrib import admin, messages

from .admin_previews import thumbnail_html
from .maintenance import cache_usage, quarantine
from .models import CacheItem
from .services import cache_verify_item


@admin.register(CacheItem)
class CacheItemAdmin(admin.ModelAdmin):
    class Media:
        js = ["dashboard.js"]  # previews still being made appear without a reload

    list_display = ["preview", "short_hash", "original_name", "media_type", "size", "origin",
                    "pinned", "owner", "created_at"]
    list_filter = ["origin", "kind", "media_type", "pinned"]
    # content_hash__startswith: a hash prefix; original_name: the uploaded file's name.
    search_fields = ["content_hash__startswith", "original_name", "assets__name"]
    readonly_fields = ["large_preview", *[f.name for f in CacheItem._meta.fields if f.name != "pinned"]]
    fields = ["large_preview", "content_hash", "size", "media_type", "origin", "original_name",
              "kind", "width", "height", "frames", "duration", "fps", "video_codec", "audio_codec",
              "sample_rate", "channels", "decode_error", "pinned", "owner", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    show_full_result_count = False  # COUNT(*) over 100,000 rows on every page is wasted work
    actions = ["pin", "unpin", "verify"]

    list_display_links = ["short_hash"]

    @admin.display(description="hash", ordering="content_hash")
    def short_hash(self, item: CacheItem) -> str:
        return f"{item.content_hash[:16]}…"

    @admin.display(description="preview")
    def preview(self, item: CacheItem) -> str:
        return thumbnail_html(item)

    @admin.display(description="preview")
    def large_preview(self, item: CacheItem) -> str:
        return thumbnail_html(item, size=1024, box=512)

    def has_add_permission(self, request) -> bool:
        return False  # files enter the cache by upload, import or render, never by hand

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "disk_usage": cache_usage()})

    @admin.action(description="Pin (keep through garbage collection)")
    def pin(self, request, queryset):
        count = queryset.update(pinned=True)
        self.message_user(request, f"Pinned {count} item(s).", messages.SUCCESS)

    @admin.action(description="Unpin")
    def unpin(self, request, queryset):
        count = queryset.update(pinned=False)
        self.message_user(request, f"Unpinned {count} item(s).", messages.SUCCESS)

    @admin.action(description="Verify the stored bytes still hash to their name")
    def verify(self, request, queryset):
        results = {"ok": [], "missing": [], "corrupt": []}
        for item in queryset:
            state = cache_verify_item(item)
            results[state].append(item.content_hash[:12])
            if state == "corrupt":
                quarantine(item.pk)  # never serve bytes that are not what their name says
        if results["ok"]:
            self.message_user(request, f"{len(results['ok'])} item(s) verified ok.", messages.SUCCESS)
        for state in ("missing", "corrupt"):
            if results[state]:
                self.message_user(request, f"{len(results[state])} item(s) {state}"
                                  + (" (moved to quarantine)" if state == "corrupt" else "")
                                  + ": " + ", ".join(results[state]), messages.ERROR)
