"""python-telegram-bot handlers: they read who wrote and what, run the matching screen in
the database thread, and send or edit what it returns. No rule lives here."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, InputMediaPhoto, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from notifications import services
from notifications.models import Subscriber
from powerbot.db import in_database
from telegrambot import callbacks, screens
from telegrambot.screens import Person, Screen

logger = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def chat_of(update: Update) -> Chat:
    """The chat of an update these handlers take (messages, button presses, the bot's own
    membership): each has one."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return chat


def person(update: Update) -> Person:
    user, chat = update.effective_user, chat_of(update)
    name = (user.full_name if user else "") or chat.effective_name or ""
    return Person(chat.id, user.id if user else chat.id, name, user.language_code if user else None)


async def show(update: Update, shown: Screen | list[Screen]) -> None:
    """Send the screens; after a button press the first replaces the pressed message."""
    shown = shown if isinstance(shown, list) else [shown]
    query = update.callback_query
    if query is not None:
        notice = next((screen.notice for screen in shown if screen.notice), "")
        try:
            alert = next((screen.alert for screen in shown if screen.notice), False)
            await query.answer(notice or None, show_alert=alert)
        except BadRequest as exc:  # "query is too old": the screen itself still comes
            logger.info("could not answer button press of chat %s: %s", chat_of(update).id, exc.message)
    for index, screen in enumerate(shown):
        if not screen.text and screen.photo is None:
            continue  # a note over the chat is all there is to show
        if query is not None and index == 0 and screen.editable and await _edit(query, screen):
            continue
        chat_id = chat_of(update).id
        if screen.photo is not None:
            sent = await update.get_bot().send_photo(
                chat_id, screen.photo, caption=screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.keyboard
            )
            if screen.sent_photo is not None and sent.photo:
                await in_database(screen.sent_photo, sent.photo[-1].file_id)
        else:
            await update.get_bot().send_message(
                chat_id,
                screen.text,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.keyboard,
                disable_web_page_preview=True,
            )


async def _edit(query: Any, screen: Screen) -> bool:
    """Edit the pressed message in place; False when it cannot be (too old, or a photo
    turning into text or back), and a new message is sent instead."""
    is_photo = bool(query.message and getattr(query.message, "photo", None))
    try:
        if screen.photo is not None and is_photo:
            await query.edit_message_media(
                InputMediaPhoto(screen.photo, caption=screen.text, parse_mode=ParseMode.HTML),
                reply_markup=screen.keyboard,
            )
        elif screen.photo is None and not is_photo:
            await query.edit_message_text(
                screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.keyboard, disable_web_page_preview=True
            )
        else:
            return False
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return True  # pressed "Refresh" and nothing changed
        logger.info("could not edit message %s: %s", getattr(query.message, "message_id", "?"), exc.message)
        return False
    return True


def command(screen: Callable[..., Any], *, arguments: bool = False) -> Handler:
    """A handler for a command: its screen gets the person, and the words after the
    command when `arguments`."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = (list(context.args or []),) if arguments else ()
        await show(update, await in_database(screen, person(update), *args))

    return handle


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0] if context.args else ""
    await show(update, await in_database(screens.start, person(update), payload))


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    period = context.args[0] if context.args else "day"
    await show(update, await in_database(screens.stats, person(update), None, period))


MENU_SCREENS: dict[str, Callable[..., Any]] = {
    "status": screens.status,
    "stats": screens.stats,
    "notifications": screens.notifications,
    "follow": screens.buildings,
    "alerts": screens.alert_state,
    "contacts": screens.contacts,
    "help": screens.help,
}


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text: a main-menu button, or a search for a building."""
    message = update.effective_message
    written = (message.text if message is not None else None) or ""
    action = screens.menu_action(written)
    if action is not None:
        await show(update, await in_database(MENU_SCREENS[action], person(update)))
    else:
        await show(update, await in_database(screens.search, person(update), written))


def button(screen: Callable[..., Any], *convert: Callable[[str], Any]) -> Handler:
    """A handler for an inline button: its screen gets the person and the groups of the
    callback data's pattern, converted."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        match: re.Match[str] | None = context.match  # None for the catch-all of stale buttons
        values = [kind(value) for kind, value in zip(convert, match.groups() if match else (), strict=True)]
        await show(update, await in_database(screen, person(update), *values))

    return handle


async def chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user blocked the bot (or unblocked it: /start brings the chat back)."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in (
        ChatMemberStatus.BANNED.value,
        ChatMemberStatus.LEFT.value,
    ):
        await in_database(_deactivate, change.chat.id, "blocked the bot")


def _deactivate(chat_id: int, reason: str) -> int:
    return services.deactivate(Subscriber.objects.filter(chat_id=chat_id), reason)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with what the user did, apologise (through the same rate limiter as
    every reply), and let polling go on."""
    error = context.error
    if not isinstance(update, Update):
        logger.warning("telegram: %s", error)  # polling itself: PTB retries with backoff
        return
    chat_id = update.effective_chat.id if update.effective_chat else None
    if isinstance(error, RetryAfter) or (isinstance(error, NetworkError) and not isinstance(error, BadRequest)):
        # Telegram asked for silence beyond every retry, or could not be reached: the resident
        # is not at fault, and an apology would only be refused the same way.
        logger.warning("update %s from chat %s not answered: %s", update.update_id, chat_id, error)
        return
    if isinstance(error, Forbidden) and chat_id is not None:
        logger.info("chat %s is gone (%s); deactivated", chat_id, error.message)
        await in_database(_deactivate, chat_id, error.message)
        return
    logger.error("update %s from chat %s failed: %s", update.update_id, chat_id, _what(update), exc_info=error)
    if chat_id is None:
        return
    try:
        apology = await in_database(screens.apology, chat_id)
    except Exception:  # the database itself may be what failed
        logger.exception("no apology text for chat %s", chat_id)
        apology = "Вибачте, сталася помилка. Спробуйте за хвилину. / Sorry, something went wrong."
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # stops the button's spinner, unless the handler had answered it
            await update.callback_query.answer()
    try:
        await context.bot.send_message(chat_id, apology)
    except TelegramError as exc:
        logger.warning("could not apologise to chat %s: %s", chat_id, exc)


def _what(update: Update) -> str:
    if update.callback_query is not None:
        return f"button {update.callback_query.data!r}"
    if update.effective_message is not None and update.effective_message.text:
        return f"message {update.effective_message.text[:100]!r}"
    return "an update of another kind"


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for name, handler in [
        ("start", start),
        ("stats", stats),
        ("status", command(screens.status)),
        ("notifications", command(screens.notifications)),
        ("schedule", command(screens.schedule)),
        ("alerts", command(screens.alert_state)),
        ("contacts", command(screens.contacts)),
        ("report", command(screens.ask)),
        ("menu", command(screens.menu)),
        ("help", command(screens.help)),
        ("myid", command(screens.my_id)),
        ("language", command(screens.language_choice)),
        ("quiet", command(screens.quiet, arguments=True)),
        ("unsubscribe", command(screens.unsubscribe)),
        ("admin", command(screens.admin)),
    ]:
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(MessageHandler(filters.COMMAND, command(screens.unknown_command)))
    application.add_handler(MessageHandler(filters.TEXT, text))
    application.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, command(screens.help)))
    for pattern, handler in [
        (callbacks.BUILDINGS, button(screens.buildings, int)),
        (callbacks.SECTIONS, button(screens.sections, int)),
        (callbacks.FOLLOW, button(screens.follow, int, int)),
        (callbacks.STATUS, button(screens.status)),
        (callbacks.STATS, button(screens.stats, int, str)),
        (callbacks.NOTIFICATIONS, button(screens.notifications)),
        (callbacks.TOGGLE_POWER, button(screens.toggle_power, int)),
        (callbacks.UNFOLLOW, button(screens.unfollow, int)),
        (callbacks.TOGGLE, button(screens.toggle, str)),
        (callbacks.LANGUAGE, button(screens.set_language, str)),
        (callbacks.SCHEDULE, button(screens.schedule, int)),
        (callbacks.REMINDER, button(screens.next_reminder)),
        (callbacks.ALERTS, button(screens.alert_state)),
        (callbacks.SHELTER, button(screens.shelter, int)),
        (callbacks.ASK, button(screens.ask, int)),
        (callbacks.ANSWER, button(screens.answer, str, int, str, str)),
    ]:
        application.add_handler(CallbackQueryHandler(handler, pattern=pattern))
    application.add_handler(CallbackQueryHandler(button(screens.stale)))  # out of date, or forged
    application.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
