from django.apps import AppConfig


class SensorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sensors"
    verbose_name = "Sensors"

    def ready(self) -> None:
        from sensors import signals  # noqa: F401  (connects the receivers)
