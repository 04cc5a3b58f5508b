"""Rate limits: DRF's throttles on a cache every web process shares, their rates from settings.

Redis keeps the counts when REDIS_URL is set, the database's cache table otherwise (the
`rate_limits` cache in settings.CACHES). A refusal is counted in /metrics by kind and logged
at most once a minute per offender; it writes nothing else. When the cache cannot be
reached, requests pass: a limit is there to protect the service, never to stop a heartbeat.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, ClassVar, cast

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from powerbot import counters
from powerbot.db import committed_without_waiting_for_disk
from powerbot.logs import log_event

logger = logging.getLogger(__name__)

CACHE = "rate_limits"  # its table (without Redis) is made by the migration powerbot 0003
# What each kind of limit is counted as in /metrics (rate_limited{kind=...}).
KINDS = ("read_api", "heartbeat", "bad_key", "firmware_download")
LOG_EVERY_SEC = 60
# After the cache failed, this process lets every request pass for this long before asking it
# again: a Redis that hangs costs one request its socket timeout, not every request.
UNREACHABLE_PAUSE_SEC = 30


class RateLimit(SimpleRateThrottle):
    """One kind of limit: its rate is the setting `rate_setting` (None: off), counted per
    `offender(request)` (None: not limited)."""

    kind: ClassVar[str]
    rate_setting: ClassVar[str]
    _unreachable_until: ClassVar[float] = 0.0  # every limit of this process: they share the cache
    num_requests: int | None  # DRF's, from the rate (None: off)
    duration: int | None

    def __init__(self) -> None:
        self.cache: BaseCache = caches[CACHE]  # DRF's class attribute; Django's caches are per thread
        super().__init__()

    def get_rate(self) -> str | None:
        rate: str | None = getattr(settings, self.rate_setting)
        return rate

    def offender(self, request: HttpRequest | Request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: HttpRequest | Request, view: Any) -> str | None:
        self.ident = self.offender(request)
        if self.ident is None:
            return None
        # Hashed: an offender (a uuid, an address) may hold characters a cache key may not.
        return f"{self.kind}:{hashlib.sha256(self.ident.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"

    def allow_request(self, request: HttpRequest | Request, view: Any) -> bool:
        if time.monotonic() < RateLimit._unreachable_until:
            return True
        try:
            # DRF's check hands the request only to get_cache_key, which takes either kind.
            return bool(super().allow_request(cast(Request, request), view))
        except (RedisError, DatabaseError) as exc:
            RateLimit._unreachable_until = time.monotonic() + UNREACHABLE_PAUSE_SEC
            reason = f"{type(exc).__name__}: {next(iter(str(exc).splitlines()), '')}"  # one line, as every log line
            logger.warning(
                "rate limits not checked for %d s: their cache cannot be reached (%s)", UNREACHABLE_PAUSE_SEC, reason
            )
            return True

    def wait(self) -> float | None:
        # DRF has no answer when more requests are counted than the rate now allows (an operator
        # lowered it): there is room again once only rate - 1 are left in the window.
        wait = super().wait()
        if wait is None and self.num_requests and self.duration and len(self.history) >= self.num_requests:
            return float(self.duration - (self.now - self.history[self.num_requests - 1]))
        return wait

    def throttle_success(self) -> bool:
        # A count is worth less than a heartbeat: in the database's table its write does not
        # wait for the disk, or every quiet heartbeat would wait for it after all.
        if not isinstance(self.cache, DatabaseCache):
            return bool(super().throttle_success())
        with committed_without_waiting_for_disk():
            return bool(super().throttle_success())

    def throttle_failure(self) -> bool:
        counters.count("rate_limited", self.kind)
        if self.cache.add(f"{self.key}:logged", True, LOG_EVERY_SEC):
            log_event(logger, "rate_limited", logging.WARNING, kind=self.kind, offender=self.ident, rate=self.rate)
        return False
