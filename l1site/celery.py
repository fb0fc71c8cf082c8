import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "l1site.settings")

app = Celery("l1site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
