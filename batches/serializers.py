from rest_framework import serializers

from runs.models import Run
from runs.serializers import RunCreateSerializer

from . import services
from .models import Batch


class BatchCreateSerializer(serializers.Serializer):
    recipe = serializers.CharField(max_length=128)
    inputs = serializers.ListField(
        child=serializers.JSONField(), min_length=1,
        help_text="input sets, one run each (times the grid): each what POST /runs takes as "
                  'inputs (a list, or an object by name); a lone reference stands for ["ref"]')
    params = serializers.DictField(
        required=False, default=dict,
        help_text='the grid: a list of values is an axis ({"sigma": [1, 2, 4], "levels": '
                  "[3, 5]} gives six runs per input set); any other value is fixed")
    output_name = serializers.CharField(max_length=200, required=False, default="",
                                        allow_blank=True)
    priority = serializers.ChoiceField(choices=Run.Priority.labels, required=False,
                                       default="normal")

    def validate_priority(self, value):
        return Run.Priority[value.upper()].value

    def validate_inputs(self, value):
        checker = RunCreateSerializer()
        sets = [[entry] if isinstance(entry, str) else entry for entry in value]
        for position, entry in enumerate(sets, 1):
            try:
                checker.validate_inputs(entry)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError(
                    f"input set {position}: {' '.join(map(str, exc.detail))}") from None
        return sets


class BatchRunSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    inputs = serializers.JSONField()
    params = serializers.JSONField()
    run_id = serializers.CharField(source="run.id")
    status = serializers.CharField(source="run.status")
    output_hash = serializers.CharField(source="run.output_id", allow_null=True)
    error = serializers.CharField(source="run.error")
    url = serializers.SerializerMethodField()

    def get_url(self, item) -> str:
        return f"/runs/{item.run_id}"


class BatchSerializer(serializers.ModelSerializer):
    batch_id = serializers.CharField(source="id")
    url = serializers.SerializerMethodField()
    recipe = serializers.CharField(source="recipe_name")
    owner = serializers.CharField(source="owner.username")
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None,
                                         allow_null=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = ["batch_id", "url", "recipe", "owner", "size", "spec", "counts", "created_at",
                  "cancelled_at", "cancelled_by"]
        read_only_fields = fields

    def get_url(self, batch) -> str:
        return f"/batches/{batch.id}"

    def get_counts(self, batch) -> dict:
        return services.batch_counts(batch)


class BatchDetailSerializer(BatchSerializer):
    runs = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = BatchSerializer.Meta.fields + ["runs"]
        read_only_fields = fields

    def get_runs(self, batch) -> list[dict]:
        return BatchRunSerializer(services.batch_items(batch), many=True).data
