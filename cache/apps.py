from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CacheConfig(AppConfig):
    name = "cache"
    verbose_name = "Content cache"

    def ready(self) -> None:
        # Web and worker processes both start here; the folders must exist
        # before SQLite opens its file or the filesystem broker polls its queue.
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        (settings.CACHE_DIR / "tmp").mkdir(parents=True, exist_ok=True)
        for root in settings.IMPORT_ROOTS:
            if str(root).startswith(str(settings.DATA_DIR)):
                root.mkdir(parents=True, exist_ok=True)  # the default drop folder
        for folder in (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}).values():
            if isinstance(folder, str) and folder.startswith(str(settings.DATA_DIR)):
                Path(folder).mkdir(parents=True, exist_ok=True)
