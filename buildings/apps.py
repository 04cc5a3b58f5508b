from django.apps import AppConfig


class BuildingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "buildings"
    verbose_name = "Buildings"
