from django.conf import settings
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset
from cache.maintenance import cache_usage
from cache.models import CacheItem
from provenance.services import actor_info
from runs import identity
from runs.models import Recipe, Run


class ServerInfo(APIView):
    """What this server is, what it holds, and where to go next."""

    @extend_schema(responses={200: dict}, tags=["server"])
    def get(self, request):
        by_status = dict(Run.objects.values_list("status").annotate(n=Count("id")))
        return Response({
            "name": "artdag L1",
            "description": "Rendering server of the Art DAG system",
            "version": settings.VERSION,
            "actor": settings.L1_ACTOR,
            "public_key": {k: v for k, v in actor_info().items() if k != "handle"},
            "software": identity.software(),
            "hardware": identity.hardware(),
            "disk_usage": cache_usage(),
            "counts": {
                "cache_items": CacheItem.objects.count(),
                "assets": Asset.objects.count(),
                "recipes": Recipe.objects.count(),
                "runs": {s: by_status.get(s, 0) for s in Run.Status.values},
            },
            "links": {
                "runs": "/runs", "cache": "/cache", "import": "/cache/import",
                "assets": "/assets", "recipes": "/recipes", "effects": "/effects",
                "docs": "/docs", "schema": "/api/schema/", "admin": "/admin/",
                "health": "/health",
                "actor": "/actor", "verify": "/provenance/verify", "tokens": "/tokens",
                "profile": "/profile",
            },
        })
