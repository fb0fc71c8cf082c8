from django.contrib import admin

from cache.admin_previews import thumbnail_html

from .models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    class Media:
        js = ["dashboard.js"]  # previews still being made appear without a reload

    list_display = ["preview", "name", "content", "tags", "owner", "created_at"]
    list_filter = ["content__media_type"]
    search_fields = ["name", "content__content_hash__startswith"]
    raw_id_fields = ["content"]
    readonly_fields = ["large_preview", "created_at"]
    list_select_related = ["content", "owner"]

    @admin.display(description="preview")
    def preview(self, asset: Asset) -> str:
        return thumbnail_html(asset.content)

    @admin.display(description="preview")
    def large_preview(self, asset: Asset) -> str:
        return thumbnail_html(asset.content, size=1024, box=512)
