from django.apps import AppConfig


class AuditConfig(AppConfig):
    # The auditor's navigation and home page are declared by accounts, which imports
    # this app (it records its events here); audit imports nothing of accounts.
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"
