from django.contrib import admin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["name", "content", "owner", "created_at"]
    search_fields = ["name", "content__content_hash__startswith"]
    raw_id_fields = ["content"]
    readonly_fields = ["created_at"]
