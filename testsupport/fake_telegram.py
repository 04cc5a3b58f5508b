"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

It answers the Bot API methods PowerBot uses over real HTTP, records every call, and
can refuse calls as Telegram does: 429 with `retry_after` (once, n times, or at random),
403 for a chat that blocked the bot, 400 for a chat that does not exist.

    with FakeTelegram() as telegram:
        settings.TELEGRAM_API_URL = telegram.url
        ...
        assert telegram.texts(chat_id=42) == ["..."]
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "PowerBot", "username": "powerbot_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


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
    _refusals: list[Refusal] = field(default_factory=list)
    _gone: dict[int, Refusal] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    # --- Controls -----------------------------------------------------------------------
    def refuse_next(self, times: int = 1, *, status: int = 429, retry_after: int = 1,
                    description: str = "") -> None:
        """Refuse the next `times` sendMessage calls (429 by default)."""
        description = description or f"Too Many Requests: retry after {retry_after}"
        with self._lock:
            self._refusals.extend(Refusal(status, description, retry_after if status == 429 else None)
                                  for _ in range(times))

    def block(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        self._gone[chat_id] = Refusal(403, description)

    def forget_chat(self, chat_id: int) -> None:
        self._gone[chat_id] = Refusal(400, "Bad Request: chat not found")

    # --- What arrived -------------------------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls that were accepted, in order of arrival."""
        with self._lock:
            return [c.params for c in self.calls if c.method == "sendMessage" and c.params.get("_accepted")
                    and (chat_id is None or int(c.params["chat_id"]) == chat_id)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [params["text"] for params in self.sent(chat_id)]

    # --- Server -------------------------------------------------------------------------
    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802  (the stdlib's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = fake._answer(self.path, self.headers.get("Content-Type", ""), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].split("?", 1)[0]
        params = _parse(content_type, body)
        call = Call(method, params, time.monotonic())
        with self._lock:
            self.calls.append(call)
            refusal = self._refusal(method, params)
            if refusal is None and method == "sendMessage":
                params["_accepted"] = True
                self._message_id += 1
                message_id = self._message_id
        if refusal is not None:
            error: dict[str, Any] = {"ok": False, "error_code": refusal.status, "description": refusal.description}
            if refusal.retry_after is not None:
                error["parameters"] = {"retry_after": refusal.retry_after}
            return refusal.status, error
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            return 200, {"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": chat_id, "type": "private"},
            }}
        if method == "getUpdates":
            return 200, {"ok": True, "result": []}
        return 200, {"ok": True, "result": True}

    def _refusal(self, method: str, params: dict[str, Any]) -> Refusal | None:
        if method != "sendMessage":
            return None
        gone = self._gone.get(int(params.get("chat_id", 0)))
        if gone is not None:
            return gone
        if self._refusals:
            return self._refusals.pop(0)
        if self.random_429 and self._random.random() < self.random_429:
            return Refusal(429, f"Too Many Requests: retry after {self.random_retry_after}", self.random_retry_after)
        return None


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    """The call's parameters, however the client encoded them."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        return {part.get_param("name", header="content-disposition"): part.get_content()
                for part in message.iter_parts()}
    return dict(parse_qsl(body.decode()))
