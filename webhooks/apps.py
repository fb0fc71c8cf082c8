from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, as Django asks: runs.lifecycle imports models, which
        # are not loaded until the apps are.
        from runs.lifecycle import finished

        from . import services  # imports models too: here for the same reason

        # runs announces a run's end; it never imports us.
        finished.connect(services.on_run_finished, dispatch_uid="webhooks.on_run_finished")
