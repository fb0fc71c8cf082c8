from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # runs announces state changes and progress with signals (runs.events);
        # this app records them as events. runs imports nothing from here.
        # Imported here, as Django asks: receivers import models, which are
        # not loaded until the apps are.
        from . import receivers  # noqa: F401
