"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

It answers the Bot API methods PowerBot uses over real HTTP, records every call, and
can refuse calls as Telegram does: 429 with `retry_after` (once, n times, or at random),
403 for a chat that blocked the bot, 400 for a chat that does not exist.

It also plays the users: `getUpdates` long-polls for the messages and button presses that
`user(...)` sends, so the real bot can be driven end to end. Once the bot calls `setWebhook`,
updates are POSTed to its URL instead, with the secret token it registered, as Telegram does
(and retried while the answer is not 2xx); `getUpdates` then answers 409.

    with FakeTelegram() as telegram:
        settings.TELEGRAM_API_URL = telegram.url
        ...
        assert telegram.texts(chat_id=42) == ["..."]
        reply = telegram.user(42).send("/start")
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlencode

from testsupport.loopback import LoopbackServer

TOKEN = "123456:TEST-TOKEN"
JSON = {"Content-Type": "application/json"}
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "PowerBot",
    "username": "powerbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived


@dataclass
class Refusal:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    latency: float = 0.0  # seconds each answer takes, as a far-away Telegram would
    random_429: float = 0.0  # share of sendMessage calls refused with 429 at random
    random_retry_after: int = 1
    calls: list[Call] = field(default_factory=list)
    _visible: dict[int, list[Call]] = field(default_factory=dict)  # replies by chat, for many users at once
    _refusals: list[tuple[str, Refusal]] = field(default_factory=list)
    _gone: dict[int, Refusal] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(7))
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_id: int = 0
    _closed: bool = False
    _failing_polls: int = 0
    failed_polls: int = 0
    webhook: dict[str, str] = field(default_factory=dict)  # url and secret_token, once set
    webhook_answers: list[tuple[int, int]] = field(default_factory=list)  # (update_id, HTTP status)
    photos: dict[str, bytes] = field(default_factory=dict)  # file id -> the picture uploaded

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)
        # Telegram keeps up to 40 connections open to a webhook; a few show the concurrency.
        self._webhook_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fake-telegram-webhook")

    # --- Controls -----------------------------------------------------------------------
    def refuse_next(
        self,
        times: int = 1,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str = "",
        method: str = "sendMessage",
    ) -> None:
        """Refuse the next `times` calls of `method` (sendMessage, 429 by default)."""
        description = description or f"Too Many Requests: retry after {retry_after}"
        with self._lock:
            self._refusals.extend(
                (method, Refusal(status, description, retry_after if status == 429 else None)) for _ in range(times)
            )

    def fail_polls(self, times: int) -> None:
        """Answer the next `times` getUpdates with 502, as a proxy does while Telegram is away."""
        with self._lock:
            self._failing_polls += times

    def block(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        self._gone[chat_id] = Refusal(403, description)

    def forget_chat(self, chat_id: int) -> None:
        self._gone[chat_id] = Refusal(400, "Bad Request: chat not found")

    # --- What arrived -------------------------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls that were accepted, in order of arrival."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == "sendMessage"
                and c.params.get("_accepted")
                and (chat_id is None or int(c.params["chat_id"]) == chat_id)
            ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [params["text"] for params in self.sent(chat_id)]

    def replies(self, chat_id: int) -> list[Call]:
        """What the chat sees arrive or change: messages, edits and photos, in order."""
        with self._lock:
            return list(self._visible.get(chat_id, ()))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10) -> Any:
        """Wait until `condition()` is true (it is checked after each call arrives)."""
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            with self._changed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout} s; last calls: {self.calls[-5:]}")
                self._changed.wait(min(remaining, 0.1))
        return result

    # --- Users --------------------------------------------------------------------------
    def user(self, user_id: int, *, language_code: str = "uk", first_name: str = "Olena") -> User:
        return User(self, user_id, language_code, first_name)

    def init_data(
        self,
        user_id: int,
        *,
        language_code: str = "uk",
        first_name: str = "Olena",
        signed_at: float | None = None,
        auth_date: str | None = None,
        token: str | None = None,
    ) -> str:
        """What a Telegram client hands a Mini App it opens for this user (Telegram.WebApp.initData),
        signed as Telegram documents: HMAC-SHA-256 of the sorted `name=value` lines under the
        key HMAC-SHA-256("WebAppData", bot token). `auth_date` writes that field as given."""
        user = {"id": user_id, "first_name": first_name, "language_code": language_code, "allows_write_to_pm": True}
        fields = {
            "query_id": f"AAE{user_id}",
            "user": json.dumps(user, separators=(",", ":")),
            "auth_date": auth_date or str(int(time.time() if signed_at is None else signed_at)),
        }
        lines = "\n".join(f"{name}={fields[name]}" for name in sorted(fields))
        key = hmac.new(b"WebAppData", (token or self.token).encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(key, lines.encode(), hashlib.sha256).hexdigest()
        return urlencode(fields)

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or POST it to the webhook; returns its update_id."""
        with self._changed:
            self._update_id += 1
            numbered = {"update_id": self._update_id, **update}
            webhook = dict(self.webhook)
            if not webhook:
                self._updates.append(numbered)
            self._changed.notify_all()
        if webhook:
            self._webhook_pool.submit(self._post_update, webhook, numbered)
        return int(numbered["update_id"])

    def _post_update(self, webhook: dict[str, str], update: dict[str, Any]) -> None:
        """Deliver one update as Telegram does: retried while the answer is not 2xx."""
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        for attempt in range(WEBHOOK_ATTEMPTS):
            request = urllib.request.Request(webhook["url"], json.dumps(update).encode(), headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0  # not reachable
            with self._changed:
                self.webhook_answers.append((update["update_id"], status))
                self._changed.notify_all()
            if 200 <= status < 300 or self._closed:
                return
            time.sleep(0.2 * (attempt + 1))

    def _next_message_id(self) -> int:
        with self._lock:
            self._message_id += 1
            return self._message_id

    # --- Server -------------------------------------------------------------------------
    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        def answer(method: str, path: str, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
            status, payload = self._answer(path, headers.get("Content-Type", ""), body)
            return status, JSON, json.dumps(payload).encode()

        self._server = LoopbackServer(answer)
        return self.url

    def stop(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._server.stop()
        self._webhook_pool.shutdown(cancel_futures=True)

    @property
    def url(self) -> str:
        return self._server.url

    def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :].split("?", 1)[0]
        params = _parse(content_type, body)
        call = Call(method, params, time.monotonic())
        if method == "getUpdates" and self.webhook:
            return 409, {
                "ok": False,
                "error_code": 409,
                "description": (
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first"
                ),
            }
        if method == "getUpdates":
            with self._lock:
                failing, self._failing_polls = self._failing_polls > 0, max(self._failing_polls - 1, 0)
            if failing:
                self.failed_polls += 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return 200, {"ok": True, "result": self._poll(params)}
        with self._changed:
            self.calls.append(call)
            refusal = self._refusal(method, params)
            if method in VISIBLE and refusal is None:  # a refused message never reaches the chat
                self._visible.setdefault(_chat(params), []).append(call)
            if refusal is None and method in ("sendMessage", "sendPhoto"):
                params["_accepted"] = True
                self._message_id += 1
                message_id = params["_message_id"] = self._message_id
            self._changed.notify_all()
        if refusal is not None:
            error: dict[str, Any] = {"ok": False, "error_code": refusal.status, "description": refusal.description}
            if refusal.retry_after is not None:
                error["parameters"] = {"retry_after": refusal.retry_after}
            return refusal.status, error
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "setWebhook":
            with self._lock:
                self.webhook = {"url": params["url"], "secret_token": params.get("secret_token", "")}
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            with self._lock:
                self.webhook = {}
            return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}
        if method == "sendMessage":
            return 200, {"ok": True, "result": _message(message_id, _chat(params), text=params.get("text", ""))}
        if method == "sendPhoto":
            photo = {**PHOTO, "file_id": params["_file_id"], "file_unique_id": params["_file_id"]}
            return 200, {
                "ok": True,
                "result": _message(message_id, _chat(params), caption=params.get("caption", ""), photo=[photo]),
            }
        if method == "editMessageText":
            return 200, {
                "ok": True,
                "result": _message(int(params["message_id"]), _chat(params), text=params.get("text", "")),
            }
        if method == "editMessageMedia":
            return 200, {"ok": True, "result": _message(int(params["message_id"]), _chat(params), photo=[PHOTO])}
        return 200, {"ok": True, "result": True}

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: confirm updates below `offset`, wait up to `timeout` for new ones."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed and (remaining := deadline - time.monotonic()) > 0:
                self._changed.wait(remaining)
            return self._updates[:limit]

    def _refusal(self, method: str, params: dict[str, Any]) -> Refusal | None:
        if (too_long := _too_long(method, params)) is not None:
            return too_long
        if self._refusals and self._refusals[0][0] == method != "sendMessage":
            return self._refusals.pop(0)[1]
        if method == "sendPhoto":
            return self._photo(params)
        if method != "sendMessage":
            return None
        gone = self._gone.get(int(params.get("chat_id", 0)))
        if gone is not None:
            return gone
        if self._refusals and self._refusals[0][0] == method:
            return self._refusals.pop(0)[1]
        if self.random_429 and self._random.random() < self.random_429:
            return Refusal(429, f"Too Many Requests: retry after {self.random_retry_after}", self.random_retry_after)
        return None

    def _photo(self, params: dict[str, Any]) -> Refusal | None:
        """An uploaded picture gets a file id of its own; a file id must be one Telegram gave."""
        photo = params.get("photo")
        if isinstance(photo, bytes):
            params["_file_id"] = f"photo-{len(self.photos) + 1}"
            self.photos[params["_file_id"]] = photo
            return None
        if isinstance(photo, str) and photo in self.photos:
            params["_file_id"] = photo
            return None
        return Refusal(400, "Bad Request: wrong file identifier/HTTP URL specified")


def _too_long(method: str, params: dict[str, Any]) -> Refusal | None:
    """Telegram's limits on what a reader sees: 4,096 characters of text, 1,024 of a caption,
    counted in UTF-16 code units after the HTML markup is parsed."""
    field, limit, what = ("caption", 1024, "message caption") if method == "sendPhoto" else ("text", 4096, "message")
    if method not in ("sendMessage", "editMessageText", "sendPhoto"):
        return None
    text = str(params.get(field) or "")
    if params.get("parse_mode") == "HTML":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    if len(text.encode("utf-16-le")) // 2 > limit:
        return Refusal(400, f"Bad Request: {what} is too long")
    return None


WEBHOOK_ATTEMPTS = 5
VISIBLE = ("sendMessage", "editMessageText", "sendPhoto", "editMessageMedia")
PHOTO = {"file_id": "photo-1", "file_unique_id": "p1", "width": 800, "height": 400}


@dataclass
class User:
    """A person writing to the bot from a private chat whose id is their user id."""

    telegram: FakeTelegram
    id: int
    language_code: str
    first_name: str

    @property
    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}

    def send(self, text: str, replies: int = 1, timeout: float = 10) -> Call:
        """Write `text` (a command when it starts with /), wait for the bot's `replies`
        messages, and return the last."""
        return self._expect_reply(lambda: self._message(text), timeout, replies)

    def write(self, text: str) -> int:
        """Write `text` and go on without waiting for an answer; the update's id."""
        return self.telegram.push(self._message(text))

    def _message(self, text: str) -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {
            "message": {
                "message_id": self.telegram._next_message_id(),
                "date": int(time.time()),
                "text": text,
                "entities": entities,
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": self.profile,
            }
        }

    def press(
        self, data: str, message_id: int = 1, replies: int = 1, timeout: float = 10, *, photo: bool = False
    ) -> Call:
        """Press an inline button with callback data `data` under message `message_id`
        (a text message, or a photo)."""
        content = {"photo": [PHOTO]} if photo else {"text": "..."}
        return self._expect_reply(
            lambda: {
                "callback_query": {
                    "id": f"cq-{self.id}-{time.monotonic_ns()}",
                    "from": self.profile,
                    "chat_instance": str(self.id),
                    "data": data,
                    "message": {**_message(message_id, self.id, **content), "from": BOT_USER},
                }
            },
            timeout,
            replies,
        )

    def tap(self, label: str, replies: int = 1, timeout: float = 10) -> Call:
        """Press the button labelled `label` (or starting so) on the newest message that has it."""
        for call in reversed(self.telegram.replies(self.id)):
            for data in _buttons(call.params, label):
                message_id = int(call.params.get("message_id") or call.params["_message_id"])
                return self.press(
                    data, message_id, replies, timeout, photo=call.method in ("sendPhoto", "editMessageMedia")
                )
        raise AssertionError(f"no button {label!r} in {[c.params.get('text') for c in self.telegram.replies(self.id)]}")

    def replies(self) -> list[Call]:
        return self.telegram.replies(self.id)

    def _expect_reply(self, update: Callable[[], dict[str, Any]], timeout: float, replies: int = 1) -> Call:
        expected = len(self.replies()) + replies
        self.telegram.push(update())
        reply: Call = self.telegram.wait_for(
            lambda: self.replies()[expected - 1] if len(self.replies()) >= expected else None, timeout
        )
        return reply


def keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The rows of buttons a call attached, inline or reply keyboard."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return []
    return markup.get("inline_keyboard") or markup.get("keyboard") or []


def _buttons(params: dict[str, Any], label: str) -> list[str]:
    return [
        button["callback_data"]
        for row in keyboard(params)
        for button in row
        if isinstance(button, dict) and "callback_data" in button and button["text"].startswith(label)
    ]


def _chat(params: dict[str, Any]) -> int:
    return int(params.get("chat_id") or 0)


def _message(message_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, **content}


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    """The call's parameters, however the client encoded them."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        # Text fields are UTF-8 as Telegram reads them (the parts name no charset); files stay bytes.
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)  # decoded, a part's payload is its bytes
            fields[str(part.get_param("name", header="content-disposition"))] = (
                payload if part.get_filename() else payload.decode()
            )
        return fields
    return dict(parse_qsl(body.decode()))
