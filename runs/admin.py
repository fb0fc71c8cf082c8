from django.contrib import admin

from .models import Recipe, Run


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "definition_hash", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["definition_hash", "created_at", "updated_at"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "recipe_name", "status", "owner", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "recipe_name"]
    search_fields = ["id__startswith", "output__content_hash__startswith", "output_name"]
    readonly_fields = [f.name for f in Run._meta.fields]
    date_hierarchy = "created_at"
