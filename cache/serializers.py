from rest_framework import serializers

from .models import CacheItem


class BlankAsNull(serializers.CharField):
    """A text fact that may be absent: null rather than "" (a video without
    sound has no audio codec; a text file has no kind)."""

    def to_representation(self, value):
        return value or None


class CacheItemSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", default=None, read_only=True,
                                  allow_null=True)
    kind = BlankAsNull(read_only=True, allow_null=True,
                       help_text="still, animation, video or audio; null for other files")
    video_codec = BlankAsNull(read_only=True, allow_null=True, help_text="e.g. h264, vp9")
    audio_codec = BlankAsNull(read_only=True, allow_null=True, help_text="e.g. aac, opus")

    class Meta:
        model = CacheItem
        fields = ["content_hash", "size", "media_type", "origin", "original_name",
                  "width", "height", "frames", "owner", "created_at", "url",
                  # From the probe on arrival (engine.probe); null where not known.
                  "kind", "duration", "fps", "video_codec", "audio_codec", "sample_rate",
                  "channels"]

    def get_url(self, item: CacheItem) -> str:
        return f"/cache/{item.content_hash}"


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the file to store (multipart/form-data)")


class ImportQuerySerializer(serializers.Serializer):
    path = serializers.CharField(help_text="absolute server path under ARTDAG_IMPORT_ROOTS")


MAX_PRESENCE_HASHES = 1000  # one request's worth; a client asks again for the rest


class PresenceQuerySerializer(serializers.Serializer):
    hashes = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-f]{64}$", error_messages={
            "invalid": "not a content hash: expected 64 lowercase hex characters"}),
        allow_empty=False, max_length=MAX_PRESENCE_HASHES,
        help_text=f"content hashes (SHA3-256, lowercase hex), at most {MAX_PRESENCE_HASHES}")


class PresenceSerializer(serializers.Serializer):
    present = serializers.ListField(child=serializers.CharField(),
                                    help_text="the hashes whose bytes the server holds")
    missing = serializers.ListField(child=serializers.CharField(),
                                    help_text="the hashes a client should upload")
