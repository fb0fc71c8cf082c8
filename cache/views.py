from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import OpenUnlessPrivate
from l1site.errors import DomainError
from l1site.parsers import BoundedJSONParser
from l1site.pagination import NewestFirst

from . import download, services
from .selectors import cache_items
from .serializers import (CacheItemSerializer, ImportQuerySerializer, PresenceQuerySerializer,
                          PresenceSerializer, UploadSerializer)
from .uploads import CacheUploadedFile, too_large


class CacheListUpload(generics.ListAPIView):
    """GET lists cached content, newest first; POST uploads a file."""

    serializer_class = CacheItemSerializer
    pagination_class = NewestFirst
    parser_classes = [MultiPartParser]
    throttle_scope = "upload"  # POST only (l1site.throttles.ScopedThrottle)

    def get_queryset(self):
        query = self.request.query_params
        return cache_items(media_type=query.get("media_type", ""),
                           origin=query.get("origin", "")).select_related("owner")

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: CacheItemSerializer, 200: CacheItemSerializer})
    def post(self, request):
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.MAX_UPLOAD_BYTES + 64 * 1024:  # room for multipart framing
            raise too_large()
        files = request.data.getlist("file") if hasattr(request.data, "getlist") else []
        if len(files) > 1:
            raise DomainError("send one file per request", code="one_file_only")
        upload = files[0] if files else None
        if not isinstance(upload, CacheUploadedFile):
            raise DomainError("send the file as multipart/form-data in a field named 'file'",
                              code="file_required")
        item, created = services.cache_store_upload(upload.writer, name=upload.name,
                                                    owner=request.user)
        return Response(CacheItemSerializer(item).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CacheContent(APIView):
    """The bytes of one cached file (Range requests and ETags supported)."""

    def get_authenticators(self):
        # The bytes are the same for everyone, so on an open server nobody's
        # credentials are read: the session stays untouched, the answer
        # carries no Vary: Cookie, and a shared cache or CDN keeps one copy
        # for all (docs/scaling.md). A private server (L1_PRIVATE) checks who
        # asks, and its answers say private (cache.download).
        return super().get_authenticators() if settings.L1_PRIVATE else []

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              (206, "application/octet-stream"): OpenApiTypes.BINARY,
                              304: None})
    def get(self, request, content_hash: str):
        item = services.cache_get(content_hash)
        return download.serve(item, range_header=request.META.get("HTTP_RANGE", ""),
                              if_none_match=request.META.get("HTTP_IF_NONE_MATCH", ""),
                              head=request.method == "HEAD")


class CacheImport(APIView):
    """Import a file that is already on the server (staff only)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(parameters=[OpenApiParameter("path", str, required=True)], request=None,
                   responses={201: CacheItemSerializer, 200: CacheItemSerializer})
    def post(self, request):
        query = ImportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        item, created = services.cache_import_path(query.validated_data["path"],
                                                   owner=request.user)
        return Response(CacheItemSerializer(item).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CachePresence(APIView):
    """Which of many content hashes the server holds: one question before an
    upload instead of a HEAD per file. A read, so open unless L1_PRIVATE."""

    permission_classes = [OpenUnlessPrivate]
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=PresenceQuerySerializer, responses={200: PresenceSerializer})
    def post(self, request):
        query = PresenceQuerySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        present, missing = services.cache_presence(query.validated_data["hashes"])
        return Response({"present": present, "missing": missing})
