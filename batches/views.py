from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from l1site.pagination import NewestFirst

from . import services
from .models import Batch
from .serializers import BatchCreateSerializer, BatchDetailSerializer, BatchSerializer


class BatchListCreate(generics.ListAPIView):
    """GET lists batches, newest first (?owner=name); POST submits one."""

    serializer_class = BatchSerializer
    pagination_class = NewestFirst
    throttle_scope = "submit"

    def get_queryset(self):
        batches = Batch.objects.select_related("owner", "cancelled_by")
        if owner := self.request.query_params.get("owner"):
            batches = batches.filter(owner__username=owner)
        return batches

    @extend_schema(parameters=[OpenApiParameter("owner", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=BatchCreateSerializer, responses={201: BatchDetailSerializer})
    def post(self, request):
        data = BatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch, _ = services.batch_submit(owner=request.user, **data.validated_data)
        return Response(BatchDetailSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchDetail(APIView):
    """A batch: its counts by status and every combination with its run."""

    @extend_schema(responses={200: BatchDetailSerializer})
    def get(self, request, batch_id):
        return Response(BatchDetailSerializer(services.batch_get(batch_id)).data)


class BatchCancel(APIView):
    """Cancel every pending or running run of the batch (its owner or staff)."""

    @extend_schema(request=None, responses={200: BatchDetailSerializer})
    def post(self, request, batch_id):
        batch, cancelled = services.batch_cancel(batch_id, by=request.user)
        return Response({**BatchDetailSerializer(batch).data, "cancelled_runs": cancelled})
