from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from runs.models import Run

from .models import Publication, Reproduction


class ReproductionSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", default=None)

    class Meta:
        model = Reproduction
        fields = ["id", "status", "expected_hash", "actual_hash", "host", "software_hash",
                  "hardware_hash", "same_software", "error", "requested_by", "created_at",
                  "finished_at"]
        read_only_fields = fields


class PublicationSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", default=None)

    class Meta:
        model = Publication
        fields = ["status", "l2_url", "l1_server", "record_id", "published_at", "l2_status",
                  "l2_response", "error", "attempts", "next_retry_at", "history", "requested_by",
                  "queued_at", "updated_at"]
        read_only_fields = fields


class VerifySerializer(serializers.Serializer):
    record = serializers.JSONField(help_text="a provenance record as GET /runs/{id}/provenance "
                                             "returns it")
    public_key = serializers.CharField(required=False, help_text=(
        "PEM or base64 Ed25519 public key; default: this server's key"))


# A run's reproductions and publication, as GET /runs and GET /runs/{id} show
# them after the run's own fields. Runs sit below provenance and never import
# it: ProvenanceConfig.ready() adds these to runs.serializers.RunSerializer.
# Their schemas are what the API has always documented for them.

@extend_schema_field({
    "type": "array", "items": {"type": "object", "additionalProperties": {}},
    "description": "The latest reproductions, newest first (views prefetch them)."})
class RunReproductionsField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, run: Run) -> list[dict]:
        return ReproductionSerializer(list(run.reproductions.all())[:5], many=True).data


@extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
class RunPublicationField(serializers.Field):
    """The run's publication to L2, or null if it was never published."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, run: Run) -> dict | None:
        try:
            return PublicationSerializer(run.publication).data
        except Publication.DoesNotExist:
            return None
