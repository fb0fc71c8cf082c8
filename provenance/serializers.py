from rest_framework import serializers

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
