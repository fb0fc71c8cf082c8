from rest_framework import serializers

from .models import Asset, name_validator


class AssetSerializer(serializers.ModelSerializer):
    content_hash = serializers.CharField(source="content_id", read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, read_only=True,
                                  allow_null=True)
    media_type = serializers.CharField(source="content.media_type", read_only=True)

    class Meta:
        model = Asset
        fields = ["name", "content_hash", "media_type", "tags", "description", "owner",
                  "created_at"]


class AssetCreateSerializer(serializers.Serializer):
    # No UniqueValidator: the database constraint answers duplicates (409),
    # so two racing requests cannot both pass a check.
    name = serializers.CharField(max_length=128, validators=[name_validator])
    content_hash = serializers.CharField(max_length=64)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), max_length=32,
                                 default=list)
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
