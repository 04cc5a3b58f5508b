from django.apps import AppConfig


class PublicapiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "publicapi"
    verbose_name = "Public API"
