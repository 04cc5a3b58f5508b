from django.apps import AppConfig


class TelegrambotConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "telegrambot"
    verbose_name = "Telegram bot"
