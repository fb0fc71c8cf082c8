from django.contrib import admin

from .models import Publication, Reproduction


@admin.register(Reproduction)
class ReproductionAdmin(admin.ModelAdmin):
    list_display = ["run", "status", "host", "same_software", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["run__id", "expected_hash", "actual_hash"]

    def has_change_permission(self, request, obj=None):
        return False  # a record of what happened


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["run", "status", "l2_status", "record_id", "attempts", "next_retry_at",
                    "published_at"]
    list_filter = ["status"]
    search_fields = ["run__id", "record_id"]

    def has_change_permission(self, request, obj=None):
        return False
