"""The URLconf of a browser navigation: pages first, then every API route
(so /docs, /admin/ and the page-only paths still resolve), with HTML error
pages instead of JSON ones."""

from l1site.urls import urlpatterns as api_urlpatterns

from .negotiated_urls import urlpatterns as page_urlpatterns

urlpatterns = page_urlpatterns + api_urlpatterns

handler400 = "dashboard.views.errors.bad_request"
handler403 = "dashboard.views.errors.forbidden"
handler404 = "dashboard.views.errors.not_found"
handler500 = "dashboard.views.errors.server_error"
