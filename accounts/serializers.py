from rest_framework import serializers

from .models import ApiToken
from .services import NAME_PATTERN, NAME_RULE


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "active", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=64,
                                  error_messages={"invalid": NAME_RULE})


class CreatedTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="shown once; store it now")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]
        read_only_fields = fields
