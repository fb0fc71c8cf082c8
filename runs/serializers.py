from collections.abc import Callable

from rest_framework import serializers

from engine import effects

from .graphs import run_progress
from .models import Recipe, RecipeVersion, Run


MAX_RUN_INPUTS = 256


_REF = serializers.CharField(max_length=128)  # refuses NUL and lone surrogates too


def _check_ref(value) -> None:
    if not isinstance(value, str):
        raise serializers.ValidationError("each input is a content hash or an asset name")
    _REF.run_validation(value)


class RunCreateSerializer(serializers.Serializer):
    recipe = serializers.CharField(max_length=128)
    inputs = serializers.JSONField(
        help_text="content hashes or asset names: a list, bound in the order the recipe "
                  "declares its inputs, or an object of input name to one reference or a list "
                  '({"music": "...", "videos": ["...", "..."]})')
    params = serializers.DictField(required=False, default=dict,
                                   help_text="overrides of the recipe's params (GET /recipes/"
                                             "{name} lists them, with types and ranges)")
    output_name = serializers.CharField(max_length=255, required=False, default="",
                                        allow_blank=True)
    priority = serializers.ChoiceField(
        choices=Run.Priority.labels, required=False, default="normal",
        help_text="high (staff only), normal or low: the order a user's waiting runs are "
                  "released in and, on Redis, the message priority")

    def validate_priority(self, value):
        return Run.Priority[value.upper()].value

    def validate_inputs(self, value):
        # A list input (a graph's list SOURCE) is itself a list, by name or by position.
        values = value if isinstance(value, list) else (
            list(value.values()) if isinstance(value, dict) else None)
        refs = None if values is None else [
            r for v in values for r in (v if isinstance(v, list) else [v])]
        if refs is None:
            raise serializers.ValidationError("inputs must be a list or an object")
        if len(refs) > MAX_RUN_INPUTS:
            raise serializers.ValidationError(f"at most {MAX_RUN_INPUTS} inputs")
        if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
            raise serializers.ValidationError("input names must be strings")
        for ref in refs:
            _check_ref(ref)
        return value


# Fields the apps above runs add to a run's representation, after its own
# (provenance: "reproductions", then "publication"): name -> a function making
# the field. They register in their AppConfig.ready(), so runs imports none of
# them, and every view that shows a run shows them.
RUN_FIELDS: dict[str, Callable[[], serializers.Field]] = {}


def run_field_register(name: str, field: Callable[[], serializers.Field]) -> None:
    RUN_FIELDS[name] = field


class RunSerializer(serializers.ModelSerializer):
    run_id = serializers.CharField(source="id")
    recipe = serializers.CharField(source="recipe_name")
    output_hash = serializers.CharField(source="output_id", allow_null=True)
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True)
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None,
                                         allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    queue_state = serializers.CharField(
        help_text='"not yet queued" (the broker was away; the sweep retries), "queued", '
                  '"rendering (attempt N)", or the final status')
    url = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(help_text="progress per step (null for runs "
                                                        "from before recipes were graphs)")
    priority = serializers.CharField(source="get_priority_display")

    class Meta:
        model = Run
        fields = ["run_id", "url", "recipe", "recipe_hash", "inputs", "output_name", "status",
                  "priority", "lane", "promoted_at",
                  "error", "output_hash", "task_id", "attempts", "queue_state", "queued_at",
                  "heartbeat_at", "owner", "cancelled_by", "created_at", "started_at", "finished_at",
                  "duration_seconds", "params", "outputs", "steps", "provenance"]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, field in RUN_FIELDS.items():
            fields[name] = field()
        return fields

    def get_url(self, run: Run) -> str:
        return f"/runs/{run.id}"

    def get_steps(self, run: Run) -> dict | None:
        return run_progress(run)


def effect_line(document: dict) -> list[dict] | None:
    """The effects of a recipe that is a line of effects (the built-ins), in
    order, each with its params at the recipe's defaults; None for any other graph."""
    dag = document["dag"]
    nodes = {n["id"]: n for n in dag["nodes"]}
    if len(dag["output"]) != 1:
        return None
    defaults = {name: p["default"] for name, p in document["params"].items()}
    line, node = [], nodes[next(iter(dag["output"].values()))]
    while node["type"] == "EFFECT":
        line.insert(0, node)
        inputs = [nodes[i] for i in node["inputs"]]
        if all(i["type"] == "SOURCE" for i in inputs):
            break
        if len(inputs) != 1:
            return None
        node = inputs[0]
    if not line or node["type"] != "EFFECT":
        return None
    return [{"effect": effects.effect_info(effects.get_effect(n["config"]["effect"])),
             "params": {k: defaults[v["param"]] if isinstance(v, dict) and "param" in v else v
                        for k, v in n["config"]["params"].items()}} for n in line]


class RecipeSerializer(serializers.ModelSerializer):
    inputs = serializers.SerializerMethodField(help_text="the input names, in the order a "
                                                         "list of inputs binds to them")
    output_format = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(
        help_text="a recipe that is a line of effects (the built-ins): the effects in order, "
                  "with their params at the recipe's defaults; null for other graphs")
    document = serializers.SerializerMethodField(help_text="the normalized recipe")

    class Meta:
        model = Recipe
        fields = ["name", "kind", "description", "definition_hash", "inputs", "output_format",
                  "steps", "document", "created_at", "updated_at"]

    def get_inputs(self, recipe: Recipe) -> list[str]:
        return recipe.definition["dag"]["inputs"]

    def get_output_format(self, recipe: Recipe) -> str | None:
        return recipe.definition.get("output_format")

    def get_steps(self, recipe: Recipe) -> list[dict] | None:
        return effect_line(recipe.definition)

    def get_document(self, recipe: Recipe) -> dict:
        return recipe.definition


class RecipeDetailSerializer(RecipeSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(RecipeSerializer.Meta):
        fields = [*RecipeSerializer.Meta.fields, "versions"]

    def get_versions(self, recipe: Recipe) -> list[dict]:
        return [{"content_hash": v.content_hash, "created_at": v.created_at,
                 "owner": v.owner.username if v.owner else None,
                 "url": f"/recipes/{recipe.name}/{v.content_hash}"}
                for v in recipe.versions.select_related("owner")[:100]]


class RecipeVersionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="recipe.name")
    owner = serializers.CharField(source="owner.username", default=None)
    latest = serializers.SerializerMethodField()

    class Meta:
        model = RecipeVersion
        fields = ["name", "content_hash", "latest", "document", "source", "owner", "created_at"]

    def get_latest(self, version: RecipeVersion) -> bool:
        return version.recipe.definition_hash == version.content_hash


class PlanSerializer(serializers.Serializer):
    """The answer of POST /runs/plan."""

    run_id = serializers.CharField()
    recipe = serializers.CharField()
    steps = serializers.ListField(child=serializers.DictField())
    outputs = serializers.DictField(child=serializers.CharField())
