import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "l1site.settings")

app = Celery("l1site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def recycle_connections(sender=None, **kwargs) -> None:
    """Treat a task like a web request: keep the database connection for
    CONN_MAX_AGE and drop it only if it failed (Django's health check).
    Celery's own Django fixup is told not to close connections
    (settings.CELERY_DB_REUSE_MAX): it closes them before and after every
    task, so every render paid for a new PostgreSQL connection (about 7 ms)."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
