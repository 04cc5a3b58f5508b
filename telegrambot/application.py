"""The bot's python-telegram-bot Application, as `runbot` runs it and the tests drive it."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import httpx
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from telegram import BotCommand, MenuButtonCommands, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from notifications.budget import BudgetRateLimiter, shared_budget
from powerbot.db import in_database
from telegrambot import handlers

logger = logging.getLogger(__name__)

# Replies take Telegram milliseconds: a few connections carry them all, and httpcore's
# pool costs CPU for every connection it holds, on every request.
POOL_SIZE = 8
POLL_TIMEOUT_SEC = 30  # long polling: Telegram holds getUpdates open this long when idle
# What the bot asks Telegram for (edited messages, channel posts and the like it never reads).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# A reply refused with 429 is made again after the wait Telegram asks for, this many times.
RETRIES_AFTER_429 = 5
# A connection that could not be opened is tried again (httpx, with backoff): the request
# never left, so it cannot arrive twice. A timeout after sending is not retried.
CONNECT_RETRIES = 3
COMMANDS = (
    "status",
    "stats",
    "schedule",
    "alerts",
    "contacts",
    "report",
    "notifications",
    "start",
    "quiet",
    "language",
    "unsubscribe",
    "myid",
    "menu",
    "help",
)


def build() -> Application[Any, Any, Any, Any, Any, Any]:
    concurrent = settings.BOT_CONCURRENT_UPDATES
    application = (
        ApplicationBuilder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(f"{settings.TELEGRAM_API_URL}/bot")
        .base_file_url(f"{settings.TELEGRAM_API_URL}/file/bot")
        .request(
            HTTPXRequest(
                connection_pool_size=POOL_SIZE,
                connect_timeout=5,
                read_timeout=15,
                write_timeout=15,
                pool_timeout=30,
                httpx_kwargs=_retrying_connects(POOL_SIZE),
            )
        )
        .get_updates_request(HTTPXRequest(connect_timeout=5, read_timeout=POLL_TIMEOUT_SEC + 10))
        .rate_limiter(BudgetRateLimiter(shared_budget(), max_retries=RETRIES_AFTER_429))
        .concurrent_updates(concurrent)
        .post_init(introduce)
        .post_shutdown(close_database)
        .build()
    )
    handlers.register(application)
    return application


def webhook_secret() -> str:
    """What Telegram must send with each update: TELEGRAM_WEBHOOK_SECRET, or one derived from the
    bot token (the same in every process, and unknown to whoever does not hold the token)."""
    if settings.TELEGRAM_WEBHOOK_SECRET:
        return settings.TELEGRAM_WEBHOOK_SECRET
    return hmac.new(settings.TELEGRAM_BOT_TOKEN.encode(), b"powerbot webhook", hashlib.sha256).hexdigest()


def _retrying_connects(pool_size: int) -> dict[str, object]:
    # A transport of our own replaces python-telegram-bot's, so the pool's size is set here.
    limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    return {"transport": httpx.AsyncHTTPTransport(retries=CONNECT_RETRIES, limits=limits)}


def command_descriptions() -> list[BotCommand]:
    descriptions = {
        "status": _("Is the power on now"),
        "stats": _("Outages and a chart: day, week or month"),
        "schedule": _("Planned outages today and tomorrow"),
        "alerts": _("Air-raid alerts and shelters"),
        "contacts": _("The building's contacts and map"),
        "report": _("Tell neighbours whether you have heating and water"),
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


async def close_database(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await in_database(connections.close_all)


async def introduce(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What Telegram shows before anyone writes: the commands and the menu button."""
    await register_commands(application)
    await set_menu_button(application)


async def set_menu_button(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The chat's menu button opens the Mini App where Telegram can open it, over https; the
    command list otherwise (also undoing an earlier https address's button)."""
    if not settings.SITE_URL.startswith("https://"):
        await application.bot.set_chat_menu_button(menu_button=MenuButtonCommands())
        return
    with override(settings.LANGUAGE_CODE):
        text = _("My power")
    app = WebAppInfo(f"{settings.SITE_URL}{reverse('mini-app')}")
    try:
        await application.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text, app))
    except TelegramError as error:  # the bot answers all the same; the Mini App is a link away
        logger.warning("menu button not set to the Mini App at %s: %s", app.url, error)


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command list Telegram shows: Ukrainian by default, English for English users."""
    for code, _name in settings.LANGUAGES:
        with override(code):
            commands = command_descriptions()
        language = None if code == settings.LANGUAGE_CODE else code
        await application.bot.set_my_commands(commands, language_code=language)
