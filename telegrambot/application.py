"""The bot's python-telegram-bot Application, as `runbot` runs it and the tests drive it."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import override
from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from telegrambot import handlers

# Replies take Telegram milliseconds: a few connections carry them all, and httpcore's
# pool costs CPU for every connection it holds, on every request.
POOL_SIZE = 8
POLL_TIMEOUT_SEC = 30  # long polling: Telegram holds getUpdates open this long when idle
# What the bot asks Telegram for (edited messages, channel posts and the like it never reads).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
COMMANDS = ("status", "stats", "notifications", "start", "quiet", "language", "unsubscribe", "myid", "menu", "help")


def build() -> Application:
    concurrent = settings.BOT_CONCURRENT_UPDATES
    application = (
        ApplicationBuilder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(f"{settings.TELEGRAM_API_URL}/bot")
        .base_file_url(f"{settings.TELEGRAM_API_URL}/file/bot")
        .request(HTTPXRequest(connection_pool_size=POOL_SIZE, connect_timeout=5, read_timeout=15,
                              write_timeout=15, pool_timeout=30))
        .get_updates_request(HTTPXRequest(connect_timeout=5, read_timeout=POLL_TIMEOUT_SEC + 10))
        .concurrent_updates(concurrent)
        .post_init(register_commands)
        .post_shutdown(close_database)
        .build()
    )
    handlers.register(application)
    return application


def command_descriptions() -> list[BotCommand]:
    descriptions = {
        "status": _("Is the power on now"),
        "stats": _("Outages and a chart: day, week or month"),
        "notifications": _("What I tell you, and the sections you follow"),
        "start": _("Follow a building and section"),
        "quiet": _("Quiet hours, e.g. /quiet 23 7"),
        "language": _("Українська or English"),
        "unsubscribe": _("Stop all power notifications"),
        "myid": _("Your Telegram id"),
        "menu": _("The main menu"),
        "help": _("What I can do"),
    }
    return [BotCommand(name, descriptions[name]) for name in COMMANDS]


async def close_database(application: Application) -> None:
    await handlers.db(connections.close_all)


async def register_commands(application: Application) -> None:
    """The command list Telegram shows: Ukrainian by default, English for English users."""
    for code, _name in settings.LANGUAGES:
        with override(code):
            commands = command_descriptions()
        language = None if code == settings.LANGUAGE_CODE else code
        await application.bot.set_my_commands(commands, language_code=language)
