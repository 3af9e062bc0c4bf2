"""The Celery app: background work and timers (broker from CELERY_BROKER_URL)."""

import os

from celery import Celery

import webapp.broker_scheme  # noqa: F401 - registers the embedded broker's URL scheme
import webapp.task_log  # noqa: F401 - request ids on task log lines, Django's logging set-up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("webapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
