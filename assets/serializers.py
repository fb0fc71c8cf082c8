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


class AssetUpdateSerializer(serializers.Serializer):
    """PATCH /assets/{name}: any of these; `name` renames."""

    name = serializers.CharField(max_length=128, validators=[name_validator], required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), max_length=32,
                                 required=False)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(f"unknown field(s): {', '.join(unknown)}")
        if not attrs:
            raise serializers.ValidationError("send at least one of name, tags, description")
        return attrs
