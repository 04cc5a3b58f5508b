"""`manage.py runbot`: the residents' Telegram bot, by long polling."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telegrambot.application import ALLOWED_UPDATES, POLL_TIMEOUT_SEC, build

logger = logging.getLogger("telegrambot")


class Command(BaseCommand):
    help = "Run the Telegram bot (long polling) until SIGINT or SIGTERM."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token.")
        logger.info("bot: long polling %s", settings.TELEGRAM_API_URL)
        # Retries forever while Telegram cannot be reached, at start and later; stops
        # cleanly on SIGINT and SIGTERM.
        build().run_polling(
            poll_interval=0, timeout=POLL_TIMEOUT_SEC, bootstrap_retries=-1,
            allowed_updates=ALLOWED_UPDATES,
        )
        logger.info("bot: stopped")
