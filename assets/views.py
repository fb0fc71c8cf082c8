from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from l1site.pagination import ByName

from . import services
from .models import Asset
from .serializers import AssetCreateSerializer, AssetSerializer


class AssetListCreate(generics.ListAPIView):
    """GET lists assets by name; POST names a cached file."""

    serializer_class = AssetSerializer
    pagination_class = ByName
    queryset = Asset.objects.select_related("content", "owner")

    @extend_schema(request=AssetCreateSerializer, responses={201: AssetSerializer})
    def post(self, request):
        data = AssetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = services.asset_register(owner=request.user, **data.validated_data)
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetail(generics.RetrieveAPIView):
    serializer_class = AssetSerializer
    queryset = Asset.objects.select_related("content", "owner")
    lookup_field = "name"
