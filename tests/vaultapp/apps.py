from django.apps import AppConfig


class VaultAppConfig(AppConfig):
    """Models that exercise the vault, loaded only by the test suite and the benchmarks."""

    name = "tests.vaultapp"
    label = "vaultapp"
    default_auto_field = "django.db.models.BigAutoField"
