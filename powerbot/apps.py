from django.apps import AppConfig


class PowerBotConfig(AppConfig):
    """What every app uses, below them all: the event counters, the API and admin pieces,
    the database backend."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "powerbot"
    verbose_name = "PowerBot"

    def ready(self) -> None:
        from powerbot import counters

        counters.connect()
