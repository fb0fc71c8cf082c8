import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from cache.admin_previews import thumbnail_html
from engine.dag.document import RecipeInvalid
from engine.dag.validate import validate
from l1site.errors import DomainError

from . import graphs, services
from .models import Recipe, Run
from .serializers import effect_line


class RecipeForm(forms.ModelForm):
    """The recipe's document, edited as JSON; saved as its latest version."""

    class Meta:
        model = Recipe
        fields = ["name", "description", "definition"]

    def clean_definition(self):
        document = self.cleaned_data["definition"]
        if isinstance(document, dict):
            # The row's name and description are the document's own.
            document = {**document, "name": self.cleaned_data.get("name") or (
                self.instance.name if self.instance.pk else document.get("name")),
                "description": self.cleaned_data.get("description", "")}
        try:
            return validate(document)
        except RecipeInvalid as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    form = RecipeForm
    list_display = ["name", "inputs", "chain", "definition_hash", "updated_at"]
    search_fields = ["name", "definition_hash__startswith"]
    readonly_fields = ["definition_hash", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # Runs refer to recipes by name: a rename would orphan their history.
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Through the domain function, so the version and its hash always
        # match the definition.
        try:
            version, _ = graphs.recipe_post(form.cleaned_data["definition"], owner=request.user,
                                            builtin=change)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        saved = version.recipe
        obj.pk, obj.definition_hash = saved.pk, saved.definition_hash

    @admin.display(description="inputs")
    def inputs(self, recipe: Recipe) -> str:
        return ", ".join(recipe.definition["dag"]["inputs"])

    @admin.display(description="effect chain")
    def chain(self, recipe: Recipe) -> str:
        line = effect_line(recipe.definition)
        return " → ".join(step["effect"]["name"] for step in line) if line else "(graph)"


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    class Media:
        js = ["dashboard.js"]  # previews still being made appear without a reload

    list_display = ["output_preview", "short_id", "recipe_name", "status", "owner", "attempts",
                    "created_at", "finished_at"]
    list_filter = ["status", "recipe_name"]
    search_fields = ["id__startswith", "output__content_hash__startswith", "output_name",
                     "owner__username"]
    readonly_fields = ["output_large", "provenance_pretty",
                       *[f.name for f in Run._meta.fields if f.name != "provenance"]]
    exclude = ["provenance"]
    date_hierarchy = "created_at"
    list_select_related = ["owner", "output"]
    show_full_result_count = False
    actions = ["rerun", "cancel"]

    list_display_links = ["short_id"]

    @admin.display(description="run id", ordering="id")
    def short_id(self, run: Run) -> str:
        return f"{run.id[:16]}…"

    @admin.display(description="output")
    def output_preview(self, run: Run) -> str:
        return thumbnail_html(run.output)

    @admin.display(description="output preview")
    def output_large(self, run: Run) -> str:
        return thumbnail_html(run.output, size=1024, box=512)

    @admin.display(description="provenance")
    def provenance_pretty(self, run: Run) -> str:
        if not run.provenance:
            return "—"
        return format_html('<pre style="white-space:pre-wrap">{}</pre>',
                           json.dumps(run.provenance, indent=2, sort_keys=True))

    def has_add_permission(self, request) -> bool:
        return False  # runs are submitted (POST /runs, the render page), never typed in

    @admin.action(description="Re-run (same recipe and inputs)")
    def rerun(self, request, queryset):
        for run in queryset:
            # Runs from before recipes were graphs named their inputs by
            # reference; theirs bind in order.
            inputs = ({i["name"]: i["content_hash"] for i in run.inputs} if run.plan is not None
                      else [i["content_hash"] for i in run.inputs])
            try:
                again, queued = services.run_submit(
                    recipe=run.recipe_name, inputs=inputs, params=run.params,
                    output_name=run.output_name, owner=request.user)
            except DomainError as exc:
                self.message_user(request, f"{run.id[:12]}…: {exc.message}", messages.ERROR)
                continue
            if queued:
                self.message_user(request, f"{again.id[:12]}… queued.", messages.SUCCESS)
            else:
                # Same recipe, inputs and params = same run id: a finished or
                # live run is the answer, not a second render.
                self.message_user(request, f"{again.id[:12]}… is already {again.status}; "
                                  "the same request gives the same run.", messages.WARNING)

    @admin.action(description="Cancel (pending or running)")
    def cancel(self, request, queryset):
        for run in queryset:
            try:
                services.run_cancel(run.id, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{run.id[:12]}…: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{run.id[:12]}… cancelled.", messages.SUCCESS)
