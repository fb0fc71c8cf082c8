from django.apps import AppConfig
from django.conf import settings
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(sender, using="default", **kwargs) -> None:
    """The shared cache's table (settings.CACHES, when it is the database):
    made by every `migrate`, so a fresh clone, a `make run` or a server
    switched from Redis to the database finds it. Does nothing for Redis, or
    when the table exists."""
    if any(cache["BACKEND"].endswith("DatabaseCache") for cache in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=0)


class L1SiteConfig(AppConfig):
    """The project's own app: no models of its own (models.py is there so
    that `migrate` sends this app its post_migrate signal)."""

    name = "l1site"
    label = "l1site"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="l1site-cache-table")
