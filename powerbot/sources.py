"""Outside sources (schedules, alerts): fetching with a deadline, and how each one is doing.

Every call has a deadline for the whole exchange and a size limit; anything unexpected (an
HTTP error, a timeout, a body that is not JSON) raises SourceError with what went wrong, so
the caller keeps the last good data. A source that fails is asked less often (doubling
back-off, or the `Retry-After` of a 429) so a failing service is never hammered.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import threading
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from powerbot.models import SourceHealth

MAX_BODY_BYTES = 2 * 1024 * 1024  # the largest answer (Yasno's every group) is tens of kilobytes
MAX_BACKOFF = timedelta(minutes=10)
DEFAULT_RETRY_AFTER_SEC = 60  # a 429 without Retry-After
FETCH_RESULTS = ("ok", "failed")  # the labels of a source's fetch counter


class SourceError(Exception):
    """A fetch that failed; `retry_after` is set when the source asked us to wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Client:
    """One source's HTTP client. httpx's timeouts are per operation, so a server that trickles
    its headers or body would hold the worker (and the offline detector beside it) for days:
    each exchange runs on a thread of its own and is given up at the deadline. While a
    given-up exchange still hangs, a new one waits for it one deadline at most, so no more
    than one per source is ever left behind."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self.abandoned: concurrent.futures.Future[bytes] | None = None  # the last exchange given up on

    def get_json(
        self, url: str, *, timeout: float, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        with self._lock:
            abandoned = self.abandoned
        if abandoned is not None:
            try:
                abandoned.exception(timeout=timeout)
            except concurrent.futures.TimeoutError:
                raise SourceError(f"has not finished an answer given up on, {timeout:g} s after it was due") from None
        exchange: concurrent.futures.Future[bytes] = concurrent.futures.Future()

        def run() -> None:
            try:
                exchange.set_result(_exchange(url, params, headers, timeout))
            except BaseException as exc:  # handed to the caller, which raises it
                exchange.set_exception(exc)

        threading.Thread(target=run, name=f"{self.name}-fetch", daemon=True).start()
        try:
            body = exchange.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            with self._lock:
                self.abandoned = exchange
            raise SourceError(f"timed out after {timeout:g} s") from None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise SourceError("answered with something that is not JSON") from None

    def wait_for_abandoned(self, timeout: float) -> None:
        """Tests: let a given-up exchange end (with its fake server) before the next test."""
        if self.abandoned is not None:
            self.abandoned.exception(timeout=timeout)
            self.abandoned = None


def _exchange(url: str, params: dict[str, Any] | None, headers: dict[str, str] | None, timeout: float) -> bytes:
    body = bytearray()
    try:
        with httpx.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
            if response.status_code == 429:
                raise SourceError(
                    "answered HTTP 429 (too many requests)", _retry_after(response.headers.get("Retry-After"))
                )
            if response.status_code in (401, 403):
                raise SourceError(f"refused the key (HTTP {response.status_code})")
            if response.status_code != 200:
                raise SourceError(f"answered HTTP {response.status_code}")
            for chunk in response.iter_bytes():  # decompressed, and counted so
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise SourceError(f"answered more than {MAX_BODY_BYTES} bytes")
    except httpx.TimeoutException:
        raise SourceError(f"timed out after {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"could not be reached: {exc}") from None
    return bytes(body)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date), from a second to
    MAX_BACKOFF; a default when absent or odd ("nan", "soon")."""
    if value is None:
        return DEFAULT_RETRY_AFTER_SEC
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER_SEC
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER_SEC
    return min(max(seconds, 1.0), MAX_BACKOFF.total_seconds())


# --- Health: what operators see, and the back-off -----------------------------------------


def reserve(source: str, now: datetime, *, per_minute: int, at_most: int) -> int:
    """How many requests `source` may be sent now (at most `at_most`), and record them as sent:
    none while it is backing off, and never more than `per_minute` in any 60 seconds, however
    many processes ask at once (they wait for each other on the source's row)."""
    with transaction.atomic():
        health, _ = SourceHealth.objects.select_for_update().get_or_create(source=source)
        if health.backoff_until is not None and health.backoff_until > now:
            return 0
        moment = now.timestamp()
        recent = [at for at in health.recent_requests if moment - at < 60]
        count = max(0, min(at_most, per_minute - len(recent)))
        health.recent_requests = recent + [moment] * count
        if count:
            health.last_attempt_at = now
        health.save(update_fields=["recent_requests", "last_attempt_at"])
        return count


def succeeded(source: str, now: datetime, problems: str = "") -> None:
    SourceHealth.objects.filter(source=source).update(
        last_success_at=now, failures=0, last_error=problems[:300], backoff_until=None
    )


def failed(source: str, error: SourceError, now: datetime, *, every: timedelta) -> None:
    """Count a failure; the next ask waits what the source asked for (a 429), or else `every`
    doubled for each failure in a row after the first, at most MAX_BACKOFF."""
    failures = (SourceHealth.objects.filter(source=source).values_list("failures", flat=True).first() or 0) + 1
    if error.retry_after is not None:
        wait = timedelta(seconds=error.retry_after)
    else:
        wait = min(every * (2 ** min(failures - 1, 16)), MAX_BACKOFF) if failures > 1 else timedelta(0)
    SourceHealth.objects.filter(source=source).update(
        failures=F("failures") + 1, last_error=str(error)[:300], backoff_until=now + wait if wait else None
    )
