from rest_framework import serializers

from .models import EVENTS, Delivery, Webhook


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS), required=False,
                                   help_text="which events to send; default: all of "
                                             + ", ".join(EVENTS))


class WebhookSerializer(serializers.ModelSerializer):
    url_deliveries = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "active", "created_at", "url_deliveries"]
        read_only_fields = fields

    def get_url_deliveries(self, hook) -> str:
        return f"/webhooks/{hook.id}/deliveries"


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="HMAC-SHA256 key of every delivery; shown only now")

    class Meta(WebhookSerializer.Meta):
        fields = WebhookSerializer.Meta.fields + ["secret"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    run_id = serializers.CharField()

    class Meta:
        model = Delivery
        fields = ["id", "event", "run_id", "status", "attempts", "response_status", "error",
                  "created_at", "last_attempt_at", "next_attempt_at", "delivered_at", "payload"]
        read_only_fields = fields
