"""Celery application. Broker from CELERY_BROKER_URL/REDIS_URL; unset means eager mode."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiuxue.settings")

app = Celery("qiuxue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
