"""Telegram's initData: who opened the Mini App, signed by Telegram with the bot's token.

Checked as Telegram documents (core.telegram.org/bots/webapps, "Validating data received via
the Mini App"): every field but `hash`, sorted by name, as `name=value` lines; the secret key
is HMAC-SHA-256 of the bot token keyed with "WebAppData"; `hash` is the hex HMAC-SHA-256 of
those lines under that key. Its `auth_date` must be recent too: a captured link otherwise
works forever."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.utils.translation import gettext as _

from powerbot.text import storable

# A client's clock may run a little ahead of ours.
FUTURE_SKEW_SEC = 60


class InitDataRefused(Exception):
    """Why the initData is not believed: missing, malformed, forged or expired."""


@dataclass(frozen=True)
class TelegramUser:
    id: int
    name: str
    language_code: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "hash")


def verified_user(init_data: str, bot_token: str, max_age_sec: int, now: float) -> TelegramUser:
    """The user Telegram vouches for; raises InitDataRefused saying why not."""
    if not init_data:
        raise InitDataRefused(_("No Telegram initData: open this from the bot in Telegram."))
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused(_("The Telegram initData is malformed.")) from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataRefused(_("The Telegram initData is malformed."))
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        raise InitDataRefused(_("The Telegram initData is not signed by this bot's Telegram."))
    if not re.fullmatch(r"[0-9]{1,12}", fields.get("auth_date", ""), flags=re.ASCII):
        raise InitDataRefused(_("The Telegram initData has no time it was signed at."))
    if not now - max_age_sec <= int(fields["auth_date"]) <= now + FUTURE_SKEW_SEC:
        raise InitDataRefused(_("The Telegram initData has expired: open this again from the bot."))
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataRefused(_("The Telegram initData names no user.")) from None
    # A user's id is positive and fits the chat id's column (negative ids are group chats).
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 1 <= user_id < 2**63:
        raise InitDataRefused(_("The Telegram initData names no user."))
    name = storable(" ".join(str(user.get(part) or "") for part in ("first_name", "last_name")).strip())
    language = user.get("language_code")
    return TelegramUser(user_id, name, language if isinstance(language, str) else None)
