from rest_framework import serializers

from . import scopes
from .models import ApiToken
from .services import EXPIRES_RULE, MAX_EXPIRES_IN, NAME_PATTERN, NAME_RULE


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True, help_text="neither revoked nor expired")
    expired = serializers.BooleanField(read_only=True)
    scopes = serializers.ListField(source="scope_list", child=serializers.CharField(),
                                   read_only=True,
                                   help_text=f"a subset of {', '.join(scopes.SCOPES)}")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "active", "expired", "created_at",
                  "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=64,
                                  error_messages={"invalid": NAME_RULE})
    scopes = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text=f"any of {', '.join(scopes.SCOPES)}; each includes those before it. "
                  "Omitted: admin (everything you may do).")
    expires_in = serializers.IntegerField(
        min_value=1, max_value=MAX_EXPIRES_IN, required=False, allow_null=True,
        help_text="days until the token stops working; omitted or null: never",
        error_messages={key: EXPIRES_RULE for key in
                        ("invalid", "min_value", "max_value", "max_string_length")})

    def validate_scopes(self, value):
        try:
            return scopes.normalize(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class CreatedTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="shown once; store it now")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]
        read_only_fields = fields
