"""The Django project: settings, URLs and the apps officers and policy leads use."""

from webapp.celery import app as celery_app

__all__ = ["celery_app"]
