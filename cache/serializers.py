from rest_framework import serializers

from .models import CacheItem


class CacheItemSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", default=None, read_only=True,
                                  allow_null=True)

    class Meta:
        model = CacheItem
        fields = ["content_hash", "size", "media_type", "origin", "original_name",
                  "width", "height", "frames", "owner", "created_at", "url"]

    def get_url(self, item: CacheItem) -> str:
        return f"/cache/{item.content_hash}"


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the file to store (multipart/form-data)")


class ImportQuerySerializer(serializers.Serializer):
    path = serializers.CharField(help_text="absolute server path under ARTDAG_IMPORT_ROOTS")
