from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from l1site.pagination import ByName

from . import services
from .selectors import assets_listed
from .serializers import AssetCreateSerializer, AssetSerializer, AssetUpdateSerializer


class AssetListCreate(generics.ListAPIView):
    """GET lists assets by name; POST names a cached file."""

    serializer_class = AssetSerializer
    pagination_class = ByName
    queryset = assets_listed()

    @extend_schema(request=AssetCreateSerializer, responses={201: AssetSerializer})
    def post(self, request):
        data = AssetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = services.asset_register(owner=request.user, **data.validated_data)
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetail(generics.RetrieveAPIView):
    """GET one asset; PATCH renames it or changes tags/description, DELETE forgets
    the name (owner or staff; the cached content is kept)."""

    serializer_class = AssetSerializer
    queryset = assets_listed()
    lookup_field = "name"

    @extend_schema(request=AssetUpdateSerializer, responses={200: AssetSerializer})
    def patch(self, request, name):
        data = AssetUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = services.asset_update(name, by=request.user, changes=data.validated_data)
        return Response(AssetSerializer(asset).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, name):
        services.asset_delete(name, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
