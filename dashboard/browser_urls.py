"""The URLconf of a browser asking for HTML on one of the API's own paths
(chosen per request by dashboard.negotiation).

`pages_on_api_paths` are the pages that share a path with an API view: the
list dashboard.negotiation checks a path against. `urlpatterns` puts them in
front of every API route, so /docs, /admin/ and the page-only paths
(dashboard.urls) still resolve, and errors come back as HTML pages instead
of JSON ones. Every other request on these paths reaches the API view in
l1site.urls, unchanged."""

from django.urls import path

from l1site.urls import urlpatterns as api_urlpatterns

from .views import batches as batch_pages
from .views import control, home, library, runs
from .views import cache as cache_pages

pages_on_api_paths = [
    path("", home.home, name="page-home"),
    path("runs", runs.run_list, name="page-runs"),
    # Before runs/<run_id>, which would take the path as an id.
    path("runs/cancel-pending", control.runs_cancel_pending, name="page-runs-cancel-pending"),
    path("runs/<str:run_id>", runs.run_page, name="page-run"),
    path("runs/<str:run_id>/front", control.run_front, name="page-run-front"),
    path("runs/<str:run_id>/cancel", runs.run_cancel, name="page-run-cancel"),
    path("cache", cache_pages.cache_browser, name="page-cache"),
    path("assets", library.asset_list, name="page-assets"),
    path("assets/<str:name>", library.asset_page, name="page-asset"),
    path("recipes", library.recipe_list, name="page-recipes"),
    path("recipes/<str:name>", library.recipe_page, name="page-recipe"),
    path("batches/<str:batch_id>", batch_pages.batch_page, name="page-batch"),
    path("batches/<str:batch_id>/cancel", batch_pages.batch_cancel, name="page-batch-cancel"),
]

urlpatterns = pages_on_api_paths + api_urlpatterns

handler400 = "dashboard.views.errors.bad_request"
handler403 = "dashboard.views.errors.forbidden"
handler404 = "dashboard.views.errors.not_found"
handler500 = "dashboard.views.errors.server_error"
