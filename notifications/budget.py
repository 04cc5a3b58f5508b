"""Telegram's limits, shared by every process that speaks for the bot token.

Telegram counts a bot's messages together, whichever process sends them: the bot's replies
and the sender's notices share about 30 new messages a second, and a 429 tells the whole bot
to stay silent for `retry_after` seconds. So the budget lives where every process and host
sees it: in Redis when REDIS_URL is set, in the database otherwise.

The budget is one slot every 1/TELEGRAM_RATE_PER_SEC seconds for a new message (a `send*`,
`copy*` or `forward*` call), and a pause that a 429 sets. A reply to a resident reserves the
next free slot, however far ahead; a bulk notice only takes a slot that is free now, so
while residents are waiting for replies, notices wait for them. Calls that send no new
message (edits) take no slot but respect the pause; the answer to a button press goes at
once, since Telegram refuses it a few seconds after the press.

python-telegram-bot calls `BudgetRateLimiter` for every Bot API call: its AIORateLimiter
waits out a 429 and makes the same call again (the bot), or the caller retries through the
outbox (the sender).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db import connection, connections, transaction
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from notifications.models import TelegramBudget
from powerbot.db import with_fresh_connection

R = TypeVar("R")

logger = logging.getLogger(__name__)

# Bot API methods that put a new message in a chat: what Telegram's broadcast limit counts.
MESSAGE_PREFIXES = ("send", "copyMessage", "forwardMessage")
# Calls that go even in a pause: Telegram refuses the answer to a press a few seconds after it.
UNPAUSED = ("answerCallbackQuery",)


@dataclass(frozen=True)
class Budget:
    """When the next new message may start, and until when a 429 silences the bot (Unix time)."""

    next_slot: float = 0.0
    paused_until: float = 0.0


def take_slot(budget: Budget, now: float, interval: float, *, bulk: bool) -> tuple[Budget | None, float]:
    """Reserve the next slot: the new budget and the seconds to wait before sending. A bulk
    sender is refused (None) while the next slot is not free now; it asks again after the
    seconds returned, and replies reserved meanwhile go first."""
    start = max(budget.next_slot, budget.paused_until, now)  # an idle budget banks no slots
    if bulk and start > now:
        return None, start - now
    return replace(budget, next_slot=start + interval), start - now


def paused(budget: Budget, until: float) -> Budget:
    return replace(budget, paused_until=max(budget.paused_until, until))


def counts_as_message(endpoint: str) -> bool:
    return endpoint.startswith(MESSAGE_PREFIXES) and endpoint != "sendChatAction"


Change = Callable[[Budget, float], tuple[Budget | None, Any]]


class Store(Protocol):
    """Where the budget lives. Its clock is the store's own (Redis's TIME, the database's
    clock), so processes on several hosts, or with a clock a test has frozen, agree on it."""

    async def read(self) -> tuple[Budget, float]:
        """The budget, and the store's time now."""
        ...

    async def change(self, change: Change) -> Any:
        """Apply `change(budget, now)` atomically against every other process; return its second value."""
        ...

    async def close(self) -> None: ...


# The database's clock in Unix seconds, read in the same transaction as the budget.
DATABASE_NOW = {
    "postgresql": "extract(epoch FROM clock_timestamp())::float8",
    "sqlite": "(julianday('now') - 2440587.5) * 86400.0",
}


class DatabaseStore:
    """One row per bot token, changed under a row lock (SQLite: its write lock), from a
    thread of the store's own so a busy caller's database thread never delays a send."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telegram-budget")
        self._closed = False

    async def read(self) -> tuple[Budget, float]:
        return await self._run(self._read)

    async def change(self, change: Change) -> Any:
        return await self._run(self._change, change)

    async def close(self) -> None:
        if not self._closed:  # python-telegram-bot may shut a bot down twice
            self._closed = True
            await self._run(connections.close_all)
            self._thread.shutdown()

    async def _run(self, function: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._thread, with_fresh_connection, function, *args)

    def _read(self) -> tuple[Budget, float]:
        # Every Bot API call reads this: one statement, without the ORM's compiling.
        table = TelegramBudget._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT next_slot FROM {table} WHERE key = %s), "
                f"(SELECT paused_until FROM {table} WHERE key = %s), ({DATABASE_NOW[connection.vendor]})",
                [self.key, self.key],
            )
            next_slot, paused_until, now = cursor.fetchone()
        return Budget(next_slot or 0.0, paused_until or 0.0), float(now)

    def _change(self, change: Change) -> Any:
        with transaction.atomic():
            row, _created = TelegramBudget.objects.select_for_update().get_or_create(key=self.key)
            new, result = change(Budget(row.next_slot, row.paused_until), _database_now())
            if new is not None:
                row.next_slot, row.paused_until = new.next_slot, new.paused_until
                row.save(update_fields=["next_slot", "paused_until"])
        return result


def _database_now() -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {DATABASE_NOW[connection.vendor]}")
        return float(cursor.fetchone()[0])


class RedisStore:
    """A hash in Redis, changed in a WATCH/MULTI transaction (redis-py runs it again on a clash)."""

    def __init__(self, url: str, key: str) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        self.key = f"powerbot:telegram-budget:{key}"

    async def read(self) -> tuple[Budget, float]:
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hmget(self.key, "next_slot", "paused_until")
            pipe.time()
            values, now = await pipe.execute()
        return _from_redis(values), _seconds(now)

    async def change(self, change: Change) -> Any:
        outcome: list[Any] = []

        async def apply(pipe: Any) -> None:
            budget = _from_redis(await pipe.hmget(self.key, "next_slot", "paused_until"))
            new, result = change(budget, _seconds(await pipe.time()))
            outcome[:] = [result]
            pipe.multi()
            if new is not None:
                pipe.hset(self.key, mapping={"next_slot": new.next_slot, "paused_until": new.paused_until})
                pipe.expire(self.key, 86400)  # an unused token's budget does not stay for ever

        await self.client.transaction(apply, self.key)
        return outcome[0]

    async def close(self) -> None:
        await self.client.aclose()


def _from_redis(values: list[bytes | None]) -> Budget:
    return Budget(*(float(value) if value is not None else 0.0 for value in values))


def _seconds(redis_time: tuple[int, int]) -> float:
    return redis_time[0] + redis_time[1] / 1_000_000


class LocalStore:
    """The budget in this process alone, on its own clock: where the shared store cannot be reached."""

    def __init__(self) -> None:
        self.budget = Budget()

    async def read(self) -> tuple[Budget, float]:
        return self.budget, time.time()

    async def change(self, change: Change) -> Any:
        new, result = change(self.budget, time.time())
        if new is not None:
            self.budget = new
        return result

    async def close(self) -> None:
        pass


class FallbackStore:
    """The shared store, or, while it fails (Redis or the database restarting), this process's
    own budget: replies and notices go on at the cap, and nothing is lost for want of a store.
    Another process's 429 is not seen meanwhile; a 429 met here still pauses this process."""

    def __init__(self, shared: Store) -> None:
        self.shared, self.local = shared, LocalStore()
        self._failing_since: float | None = None

    async def read(self) -> tuple[Budget, float]:
        try:
            answer = await self.shared.read()
        except Exception as exc:  # whatever the store's client raises: it is down, not we
            self._failed(exc)
            return await self.local.read()
        self._recovered()
        return answer

    async def change(self, change: Change) -> Any:
        try:
            result = await self.shared.change(change)
        except Exception as exc:
            self._failed(exc)
            return await self.local.change(change)
        self._recovered()
        return result

    async def close(self) -> None:
        try:
            await self.shared.close()
        except Exception as exc:
            logger.warning("telegram budget: closing the store failed: %s", exc)

    def _failed(self, exc: Exception) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            logger.error("telegram budget: the shared store failed (%s); this process keeps the cap alone", exc)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            logger.warning(
                "telegram budget: the shared store is back after %.0f s", time.monotonic() - self._failing_since
            )
            self._failing_since = None


class SharedBudget:
    """The budget of the configured bot token, as one process uses it."""

    def __init__(self, store: Store, rate_per_sec: float) -> None:
        self.store = store
        self.interval = 1 / rate_per_sec
        self._bulk_turn = asyncio.Lock()  # one bulk call of this process asks at a time
        self._reading: asyncio.Future[tuple[Budget, float]] | None = None

    async def read(self) -> tuple[Budget, float]:
        """The budget now. Calls that ask while a read is under way share its answer: a crowd's
        replies cost one read, not one each."""
        if self._reading is None:
            self._reading = asyncio.ensure_future(self.store.read())
            self._reading.add_done_callback(self._read_done)
        return await asyncio.shield(self._reading)

    def _read_done(self, _: asyncio.Future[tuple[Budget, float]]) -> None:
        self._reading = None

    async def wait_turn(self, endpoint: str, *, bulk: bool) -> None:
        """Wait until this call may go: its slot for a new message, and no 429 pause."""
        if endpoint in UNPAUSED:
            return
        if not counts_as_message(endpoint):
            await self._wait_out_pause()
        elif bulk:
            async with self._bulk_turn:
                await self._take(bulk=True)
        else:
            await self._take(bulk=False)

    async def _take(self, *, bulk: bool) -> None:
        while True:
            wait, start = await self.store.change(lambda budget, now: self._reserve(budget, now, bulk))
            if wait <= 0:
                return
            await asyncio.sleep(wait)
            if bulk:
                continue  # refused: ask again, now that the slot should be free
            budget, now = await self.read()
            # A 429 that came meanwhile, or a wake-up so late that the slot has passed (a busy
            # process), costs the slot: sending now would crowd the next one.
            if budget.paused_until <= now and now <= start + self.interval / 2:
                return

    def _reserve(self, budget: Budget, now: float, bulk: bool) -> tuple[Budget | None, tuple[float, float]]:
        new, wait = take_slot(budget, now, self.interval, bulk=bulk)
        return new, (wait, now + wait)

    async def _wait_out_pause(self) -> None:
        while True:
            budget, now = await self.read()
            if budget.paused_until <= now:
                return
            await asyncio.sleep(budget.paused_until - now)

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        await self.store.change(lambda budget, now: (paused(budget, now + seconds), None))

    async def close(self) -> None:
        await self.store.close()


def shared_budget() -> SharedBudget:
    """The budget of TELEGRAM_BOT_TOKEN, in Redis when REDIS_URL is set, else in the database."""
    key = hashlib.sha256(settings.TELEGRAM_BOT_TOKEN.encode()).hexdigest()[:16]
    store: Store = RedisStore(settings.REDIS_URL, key) if settings.REDIS_URL else DatabaseStore(key)
    return SharedBudget(FallbackStore(store), settings.TELEGRAM_RATE_PER_SEC)


def telegram_paused_until() -> datetime | None:
    """Until when a 429 from Telegram silences the bot, as every process sees it; None when it
    does not (or no bot is configured). For the operators' page: a synchronous caller's."""
    if not settings.TELEGRAM_BOT_TOKEN:
        return None

    async def read() -> tuple[Budget, float]:
        budget = shared_budget()
        try:
            return await budget.read()
        finally:
            await budget.close()

    state, now = asyncio.run(read())
    return datetime.fromtimestamp(state.paused_until, UTC) if state.paused_until > now else None


def retry_after_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after  # a timedelta under PTB_TIMEDELTA (settings), seconds otherwise
    return max(value.total_seconds() if isinstance(value, timedelta) else float(value), 0.0)


Callback = Callable[..., Coroutine[Any, Any, Any]]


class BudgetRateLimiter(BaseRateLimiter[int]):
    """Every Bot API call of a process through the shared budget.

    With `max_retries`, python-telegram-bot's AIORateLimiter wraps it: a 429 is waited out
    and the same call made again, and group chats get Telegram's 20 messages a minute. The
    overall rate is the shared budget's, so AIORateLimiter's own is off.
    """

    def __init__(
        self, budget: SharedBudget, *, bulk: bool = False, max_retries: int = 0, takes_turns: bool = True
    ) -> None:
        # takes_turns=False: the caller waits its turn itself, before it commits to the call
        # (the sender marks a message `sending` only once its slot has come); 429s still pause.
        self.budget, self.bulk, self.takes_turns = budget, bulk, takes_turns
        self._retrying = AIORateLimiter(overall_max_rate=0, max_retries=max_retries) if max_retries else None

    async def initialize(self) -> None:
        if self._retrying is not None:
            await self._retrying.initialize()

    async def shutdown(self) -> None:
        if self._retrying is not None:
            await self._retrying.shutdown()
        await self.budget.close()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        async def within_budget(*call_args: Any, **call_kwargs: Any) -> Any:
            if self.takes_turns:
                await self.budget.wait_turn(endpoint, bulk=self.bulk)
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                await self.budget.pause(retry_after_seconds(exc))
                raise

        if self._retrying is None:
            return await within_budget(*args, **kwargs)
        return await self._retrying.process_request(within_budget, args, kwargs, endpoint, data, rate_limit_args)
