from django.apps import AppConfig


class DefectorsConfig(AppConfig):
    name = "defectors"
    default_auto_field = "django.db.models.BigAutoField"
