from django.contrib import admin

from .models import Batch, BatchRun


class BatchRunInline(admin.TabularInline):
    model = BatchRun
    fields = ["position", "run", "inputs", "params"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["id", "recipe_name", "owner", "size", "created_at", "cancelled_at"]
    list_filter = ["recipe_name"]
    search_fields = ["id", "owner__username", "recipe_name"]
    readonly_fields = ["id", "owner", "recipe_name", "spec", "size", "created_at",
                       "cancelled_at", "cancelled_by"]
    inlines = [BatchRunInline]
