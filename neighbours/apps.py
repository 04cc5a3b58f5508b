from django.apps import AppConfig


class NeighboursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "neighbours"
    verbose_name = "Neighbours' reports"
