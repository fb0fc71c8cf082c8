from django.urls import path

from . import views

urlpatterns = [
    path("events", views.Events.as_view(), name="events"),
    path("runs/<str:run_id>/events", views.RunEvents.as_view(), name="run-events"),
    path("runs/<str:run_id>/preview", views.RunPreview.as_view(), name="run-preview"),
]
