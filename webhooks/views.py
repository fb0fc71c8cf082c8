from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Webhook
from .serializers import (DeliverySerializer, WebhookCreatedSerializer, WebhookCreateSerializer,
                          WebhookSerializer)


class WebhookListCreate(APIView):
    """Your webhooks; POST registers one and returns its secret (only then)."""

    permission_classes = [IsAuthenticated]  # private to their owner, reads too

    @extend_schema(operation_id="webhooks_list", responses={200: inline_serializer(
        "WebhookList", {"results": WebhookSerializer(many=True)})})
    def get(self, request):
        hooks = Webhook.objects.filter(owner=request.user)
        return Response({"results": WebhookSerializer(hooks, many=True).data})

    @extend_schema(request=WebhookCreateSerializer, responses={201: WebhookCreatedSerializer})
    def post(self, request):
        data = WebhookCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hook = services.webhook_create(owner=request.user, **data.validated_data)
        return Response(WebhookCreatedSerializer(hook).data, status=status.HTTP_201_CREATED)


class WebhookDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: WebhookSerializer})
    def get(self, request, webhook_id):
        return Response(WebhookSerializer(services.webhook_get(webhook_id, by=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        services.webhook_delete(webhook_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveries(APIView):
    """The webhook's delivery log, newest first (the last 100)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: inline_serializer("DeliveryList", {
        "results": DeliverySerializer(many=True)})})
    def get(self, request, webhook_id):
        hook = services.webhook_get(webhook_id, by=request.user)
        rows = hook.deliveries.order_by("-created_at")[:100]
        return Response({"results": DeliverySerializer(rows, many=True).data})
