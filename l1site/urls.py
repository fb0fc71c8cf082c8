from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assets.views import AssetDetail, AssetListCreate
from cache.views import CacheContent, CacheImport, CacheListUpload
from runs.views import (EffectList, RecipeDetail, RecipeList, RunCancel, RunDetail,
                        RunListCreate)

from .health import HealthView
from .views import ServerInfo

# The original L1 server's paths, exactly (no trailing slashes).
urlpatterns = [
    path("", ServerInfo.as_view(), name="server-info"),
    path("health", HealthView.as_view(), name="health"),
    path("runs", RunListCreate.as_view(), name="runs"),
    path("runs/<str:run_id>", RunDetail.as_view(), name="run-detail"),
    path("runs/<str:run_id>/cancel", RunCancel.as_view(), name="run-cancel"),
    path("cache", CacheListUpload.as_view(), name="cache"),
    path("cache/import", CacheImport.as_view(), name="cache-import"),
    path("cache/<str:content_hash>", CacheContent.as_view(), name="cache-content"),
    path("assets", AssetListCreate.as_view(), name="assets"),
    path("assets/<str:name>", AssetDetail.as_view(), name="asset-detail"),
    path("recipes", RecipeList.as_view(), name="recipes"),
    path("recipes/<str:name>", RecipeDetail.as_view(), name="recipe-detail"),
    path("effects", EffectList.as_view(), name="effects"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
         name="docs"),
    path("admin/", admin.site.urls),
]

handler400 = "l1site.errors.json_400"
handler403 = "l1site.errors.json_403"
handler404 = "l1site.errors.json_404"
handler500 = "l1site.errors.json_500"
