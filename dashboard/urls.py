"""Page-only paths, included by l1site.urls: no JSON twin exists, so no
negotiation is needed. (The pages on the API's own paths are in
dashboard.browser_urls.)"""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import actions, home, runs
from .views import batches as batch_pages
from .views import cache as cache_pages

urlpatterns = [
    path("render", actions.render_form, name="page-render"),
    path("upload", actions.upload_page, name="page-upload"),
    path("login", auth_views.LoginView.as_view(template_name="dashboard/login.html",
                                               redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("status", home.status_fragment, name="page-status"),
    path("cache/<str:content_hash>/detail", cache_pages.item_page, name="page-cache-item"),
    path("cache/<str:content_hash>/thumb/<int:size>", cache_pages.thumbnail, name="cache-thumb"),
    path("cache/<str:content_hash>/register", actions.register_asset, name="page-register"),
    path("runs/<str:run_id>/live", runs.run_live, name="page-run-live"),
    path("batches/<str:batch_id>/sheet", batch_pages.batch_sheet, name="page-batch-sheet"),
]
