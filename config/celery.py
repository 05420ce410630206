import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("haven")
# Settings prefixed CELERY_ in config/settings.py configure the app: JSON only,
# no stored results, time limits.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
