from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cache.maintenance import cache_usage
from provenance.services import actor_info
from runs import identity
from runs.selectors import server_counts


class ServerInfo(APIView):
    """What this server is, what it holds, and where to go next."""

    @extend_schema(responses={200: dict}, tags=["server"])
    def get(self, request):
        return Response({
            "name": "artdag L1",
            "description": "Rendering server of the Art DAG system",
            "version": settings.VERSION,
            "actor": settings.L1_ACTOR,
            "public_key": {k: v for k, v in actor_info().items() if k != "handle"},
            "software": identity.software(),
            "hardware": identity.hardware(),
            "disk_usage": cache_usage(),
            "counts": server_counts(),
            "links": {
                "runs": "/runs", "cache": "/cache", "import": "/cache/import",
                "assets": "/assets", "recipes": "/recipes", "effects": "/effects",
                "docs": "/docs", "schema": "/api/schema/", "admin": "/admin/",
                "health": "/health",
                "actor": "/actor", "verify": "/provenance/verify", "tokens": "/tokens",
                "profile": "/profile",
            },
        })
