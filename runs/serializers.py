from rest_framework import serializers

from engine import effects
from provenance.models import Publication
from provenance.serializers import PublicationSerializer, ReproductionSerializer

from .models import Recipe, Run


class RunCreateSerializer(serializers.Serializer):
    recipe = serializers.CharField(max_length=128)
    inputs = serializers.ListField(
        child=serializers.CharField(max_length=128), min_length=1, max_length=16,
        help_text="content hashes or asset names, in order")
    output_name = serializers.CharField(max_length=255, required=False, default="",
                                        allow_blank=True)


class RunSerializer(serializers.ModelSerializer):
    run_id = serializers.CharField(source="id")
    recipe = serializers.CharField(source="recipe_name")
    output_hash = serializers.CharField(source="output_id", allow_null=True)
    owner = serializers.CharField(source="owner.username", default=None)
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None)
    duration_seconds = serializers.FloatField(allow_null=True)
    url = serializers.SerializerMethodField()
    reproductions = serializers.SerializerMethodField()
    publication = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["run_id", "url", "recipe", "recipe_hash", "inputs", "output_name", "status",
                  "error", "output_hash", "task_id", "attempts", "owner", "cancelled_by", "created_at",
                  "started_at", "finished_at", "duration_seconds", "provenance",
                  "reproductions", "publication"]
        read_only_fields = fields

    def get_url(self, run: Run) -> str:
        return f"/runs/{run.id}"

    def get_reproductions(self, run: Run) -> list[dict]:
        """The latest reproductions, newest first (views prefetch them)."""
        return ReproductionSerializer(list(run.reproductions.all())[:5], many=True).data

    def get_publication(self, run: Run) -> dict | None:
        try:
            return PublicationSerializer(run.publication).data
        except Publication.DoesNotExist:
            return None


class RecipeSerializer(serializers.ModelSerializer):
    inputs = serializers.IntegerField(source="definition.inputs")
    output_format = serializers.CharField(source="definition.output_format", allow_null=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Recipe
        fields = ["name", "description", "definition_hash", "inputs", "output_format", "steps",
                  "created_at", "updated_at"]

    def get_steps(self, recipe: Recipe) -> list[dict]:
        return [{"effect": effects.effect_info(effects.get_effect(step["effect"])),
                 "params": step["params"]} for step in recipe.definition["steps"]]
