from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running PowerBot: readiness, metrics, backups and the process launcher."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"
    verbose_name = "Operations"
