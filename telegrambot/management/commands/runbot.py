"""`manage.py runbot`: the residents' Telegram bot, by long polling or, with a webhook URL, by webhook."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telegrambot.application import ALLOWED_UPDATES, POLL_TIMEOUT_SEC, build, webhook_secret

logger = logging.getLogger("telegrambot")


class Command(BaseCommand):
    help = (
        "Run the Telegram bot until SIGINT or SIGTERM: long polling, or a webhook when "
        "TELEGRAM_WEBHOOK_URL is set (several such processes may run behind the proxy)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--webhook", action="store_true", help="Insist on webhook mode (TELEGRAM_WEBHOOK_URL must then be set)."
        )

    def handle(self, *args: object, webhook: bool, **options: object) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token.")
        url = settings.TELEGRAM_WEBHOOK_URL
        if webhook and not url:
            raise CommandError(
                "--webhook needs TELEGRAM_WEBHOOK_URL: the public https URL Telegram posts updates to, "
                "e.g. https://power.example.org/telegram/webhook"
            )
        # Both retry for ever while Telegram cannot be reached, at start and later, and stop
        # cleanly on SIGINT and SIGTERM.
        if url:
            host, port = settings.TELEGRAM_WEBHOOK_BIND
            logger.info("bot: webhook %s, listening on %s:%d", url, host, port)
            # Every process registers the same URL and secret; updates without the secret get 403.
            build().run_webhook(
                listen=host,
                port=port,
                url_path=urlsplit(url).path.lstrip("/"),
                webhook_url=url,
                secret_token=webhook_secret(),
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1,
            )
        else:
            logger.info("bot: long polling %s", settings.TELEGRAM_API_URL)
            build().run_polling(
                poll_interval=0,
                timeout=POLL_TIMEOUT_SEC,
                bootstrap_retries=-1,
                allowed_updates=ALLOWED_UPDATES,
            )
        logger.info("bot: stopped")
