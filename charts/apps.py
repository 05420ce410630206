from django.apps import AppConfig


class ChartsConfig(AppConfig):
    """Server-rendered SVG charts (Vega-Lite through vl-convert): no script, no style, so the CSP holds."""

    name = "charts"
    default_auto_field = "django.db.models.BigAutoField"
