"""A threaded HTTP server on 127.0.0.1 for the fake outside services tests talk to."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JSON = {"Content-Type": "application/json"}

# (method, path with query, request headers, body) -> (status, headers, body); a body given as
# an iterator of chunks is sent chunk by chunk, as a slow server would, then the connection closes.
Answer = Callable[[str, str, Message, bytes], tuple[int, dict[str, str], bytes | Iterator[bytes]]]


class LoopbackServer:
    def __init__(self, answer: Answer) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request: a real server drops it, unanswered
                    self.close_connection = True
                    return
                status, headers, payload = answer(self.command, self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if isinstance(payload, bytes):
                    self.send_header("Content-Length", str(len(payload)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    for chunk in [payload] if isinstance(payload, bytes) else payload:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a long poll at shutdown, a timeout)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeService:
    """A fake outside service: a key, a rate limit, and failures on demand. Subclasses say
    how a key is checked and what a path answers."""

    key = "test-key"

    def __init__(self, per_minute: int = 1000) -> None:
        self.per_minute = per_minute  # more requests than this in a minute get 429, as the real limit
        self.requests: list[str] = []
        self._recent: deque[float] = deque()
        self._failures: list[tuple[int, float, bytes | None, int | None]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> FakeService:
        self._server = LoopbackServer(self._answer)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        hang: float = 0.0,
        body: bytes | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next requests fail: with an HTTP status (a 429 with `retry_after`, if given), by
        hanging `hang` seconds (a timeout), or with `body` as a 200 answer (garbage)."""
        with self._lock:
            self._failures += [(status, hang, body, retry_after)] * times

    def _answer(self, method: str, path: str, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(path)
            failure = self._failures.pop(0) if self._failures else None
            now = time.time()  # the test's clock, when it moves it
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            self._recent.append(now)
            over_limit = len(self._recent) > self.per_minute
        if failure is not None:
            status, hang, garbage, retry_after = failure
            if hang:
                time.sleep(hang)
            if garbage is not None:
                return 200, JSON, garbage
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, {**JSON, **extra}, self._error("failure")
        if not self._authorised(headers.get("Authorization", "")):
            return 401, JSON, self._error("API token required")
        if over_limit:
            return 429, JSON, self._error("Too many requests")
        return self._serve(path)

    def _authorised(self, authorization: str) -> bool:
        raise NotImplementedError

    def _error(self, message: str) -> bytes:
        """An error's body, as this service writes it."""
        return json.dumps({"message": message}).encode()

    def _serve(self, path: str) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError
