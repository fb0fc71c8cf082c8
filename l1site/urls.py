from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts
from assets.views import AssetDetail, AssetListCreate
from cache.views import CacheContent, CacheImport, CacheListUpload, CachePresence
from runs.views import (EffectList, RecipeDetail, RecipeList, RecipeVersionDetail, RunCancel,
                        RunDetail, RunListCreate, RunMoveToFront, RunPlan, RunsCancelPending)
from batches.views import BatchCancel, BatchDetail, BatchListCreate
from webhooks import pages as webhook_pages
from webhooks.views import WebhookDeliveries, WebhookDetail, WebhookListCreate
from provenance.views import (Actor, CacheLineage, ProvenanceVerify, RunLineage, RunProvenance,
                              RunPublish, RunReproduce)

from .health import HealthView
from .views import ServerInfo

# The original L1 server's paths, exactly (no trailing slashes).
urlpatterns = [
    path("", ServerInfo.as_view(), name="server-info"),
    path("health", HealthView.as_view(), name="health"),
    path("runs", RunListCreate.as_view(), name="runs"),
    path("runs/plan", RunPlan.as_view(), name="run-plan"),
    path("runs/cancel-pending", RunsCancelPending.as_view(), name="runs-cancel-pending"),
    path("runs/<str:run_id>", RunDetail.as_view(), name="run-detail"),
    path("runs/<str:run_id>/cancel", RunCancel.as_view(), name="run-cancel"),
    path("runs/<str:run_id>/front", RunMoveToFront.as_view(), name="run-front"),
    path("cache", CacheListUpload.as_view(), name="cache"),
    path("cache/import", CacheImport.as_view(), name="cache-import"),
    # Before cache/<hash>: which of many hashes the server holds (artdag upload).
    path("cache/presence", CachePresence.as_view(), name="cache-presence"),
    path("cache/<str:content_hash>", CacheContent.as_view(), name="cache-content"),
    path("assets", AssetListCreate.as_view(), name="assets"),
    path("assets/<str:name>", AssetDetail.as_view(), name="asset-detail"),
    path("recipes", RecipeList.as_view(), name="recipes"),
    path("recipes/<str:name>", RecipeDetail.as_view(), name="recipe-detail"),
    path("recipes/<str:name>/<str:content_hash>", RecipeVersionDetail.as_view(),
         name="recipe-version"),
    path("effects", EffectList.as_view(), name="effects"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
         name="docs"),
    path("admin/", admin.site.urls),
    # Owners, signed provenance, reproducing, publishing.
    path("actor", Actor.as_view(), name="actor"),
    path("runs/<str:run_id>/provenance", RunProvenance.as_view(), name="run-provenance"),
    path("runs/<str:run_id>/lineage", RunLineage.as_view(), name="run-lineage"),
    path("runs/<str:run_id>/reproduce", RunReproduce.as_view(), name="run-reproduce"),
    path("runs/<str:run_id>/publish", RunPublish.as_view(), name="run-publish"),
    path("provenance/verify", ProvenanceVerify.as_view(), name="provenance-verify"),
    path("cache/<str:content_hash>/lineage", CacheLineage.as_view(), name="cache-lineage"),
    path("me", accounts.Me.as_view(), name="me"),
    path("tokens", accounts.TokenListCreate.as_view(), name="tokens"),
    path("tokens/<str:token_id>", accounts.TokenRevoke.as_view(), name="token-revoke"),
    path("profile", accounts.profile, name="profile"),
    path("profile/tokens", accounts.profile_token_create, name="profile-token-create"),
    path("profile/tokens/<int:token_id>/revoke", accounts.profile_token_revoke,
         name="profile-token-revoke"),
    path("profile/webhooks", webhook_pages.profile_webhook_create, name="profile-webhook-create"),
    path("profile/webhooks/<int:webhook_id>/delete", webhook_pages.profile_webhook_delete,
         name="profile-webhook-delete"),
    # Run events as Server-Sent Events, and previews of long renders.
    path("", include("live.urls")),
    # Batches and webhooks.
    path("batches", BatchListCreate.as_view(), name="batches"),
    path("batches/<str:batch_id>", BatchDetail.as_view(), name="batch-detail"),
    path("batches/<str:batch_id>/cancel", BatchCancel.as_view(), name="batch-cancel"),
    path("webhooks", WebhookListCreate.as_view(), name="webhooks"),
    path("webhooks/<str:webhook_id>", WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/deliveries", WebhookDeliveries.as_view(),
         name="webhook-deliveries"),
    # The dashboard's page-only paths; its pages on the paths above are chosen
    # by dashboard.negotiation when a browser asks for text/html.
    path("", include("dashboard.urls")),
]

handler400 = "l1site.error_responses.json_400"
handler403 = "l1site.error_responses.json_403"
handler404 = "l1site.error_responses.json_404"
handler500 = "l1site.error_responses.json_500"
