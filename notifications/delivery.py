"""The sender: delivers the outbox through python-telegram-bot at Telegram's limits.

One sender runs at a time (a lease in the database), so one process keeps the per-chat
pace: one message a second to a chat, one every three seconds to a group (Telegram's 20 a
minute). The overall rate and the pauses Telegram asks for are the budget every process of
the bot shares (notifications/budget.py): the bot's replies go first, and a 429 seen by the
bot or the sender silences both. Calls run concurrently (Telegram answers in tens of
milliseconds; the rate, not the latency, sets the pace). A message refused with 429 waits in
the outbox for `retry_after`; a chat that is gone deactivates its subscriber; network errors
are retried with backoff, then failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from notifications import outbox
from notifications.budget import BudgetRateLimiter, SharedBudget, retry_after_seconds, shared_budget
from notifications.models import SenderLease
from powerbot import counters
from powerbot.db import in_database, once_more_if_dropped
from powerbot.logs import log_event

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 32
SENDER_LEASE = timedelta(seconds=30)
MAX_WAIT_SEC = 3  # a sender waits this long at most for a row coming due (a retry)
CHAT_INTERVAL_SEC = 1.0
GROUP_INTERVAL_SEC = 3.0  # groups (negative chat ids) take 20 messages a minute
# Telegram's descriptions of a chat that will never accept a message again.
GONE = ("bot was blocked", "chat not found", "user is deactivated", "bot was kicked", "have no rights to send")


# What can become of one send; the shared `deliveries` counter is labelled with these.
DELIVERY_RESULTS = ("sent", "retried", "failed", "deactivated")


@dataclass
class DeliveryReport:
    ran: bool = False
    sent: int = 0
    retried: int = 0
    failed: int = 0
    interrupted: int = 0

    def add(self, result: str) -> None:
        """One send's result (one of DELIVERY_RESULTS), here and in the shared counters."""
        counters.count("deliveries", result)
        if result == "sent":
            self.sent += 1
        elif result == "retried":
            self.retried += 1
        else:
            self.failed += 1


class Pacer:
    """Start times for sends to each chat: one a second, one every three seconds to a group."""

    def __init__(self) -> None:
        self.chat_next: dict[int, float] = {}

    async def slot(self, chat_id: int) -> None:
        wait = self.chat_next.get(chat_id, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.chat_next[chat_id] = time.monotonic() + (GROUP_INTERVAL_SEC if chat_id < 0 else CHAT_INTERVAL_SEC)


def deliver(max_seconds: float = 60) -> DeliveryReport:
    """Send what is due for up to `max_seconds`, if no other sender is running."""
    report = DeliveryReport()
    if not settings.TELEGRAM_BOT_TOKEN:
        return report  # messages wait in the outbox until a token is configured
    owner = uuid.uuid4().hex
    if not _take_lease(owner):
        return report
    report.ran = True
    try:
        report.interrupted = outbox.fail_interrupted()
        if report.interrupted:
            logger.error(
                "%d messages were interrupted mid-send by a dead sender; failed, not resent", report.interrupted
            )
        asyncio.run(_deliver(owner, time.monotonic() + max_seconds, report))
    finally:
        # Even when what ended the sending was the database dropping its connections: the
        # next sender may start at once, not when the lease runs out.
        once_more_if_dropped(_release_lease, owner)
    return report


def stalled(late: timedelta) -> int:
    """Messages due longer than `late` ago and still queued while no sender holds the lease:
    nobody is sending them. A sender working through a large broadcast holds it (renewed
    as it goes), however long the queue behind it."""
    if SenderLease.objects.filter(pk=1, until__gt=timezone.now()).exists():
        return 0
    return outbox.overdue(late)


def _release_lease(owner: str) -> None:
    SenderLease.objects.filter(pk=1, owner=owner).update(until=timezone.now())


def _take_lease(owner: str) -> bool:
    now = timezone.now()
    if SenderLease.objects.filter(pk=1, until__lt=now).update(owner=owner, until=now + SENDER_LEASE):
        return True
    try:
        with transaction.atomic():
            SenderLease.objects.create(pk=1, owner=owner, until=now + SENDER_LEASE)
        return True
    except IntegrityError:
        return False  # another sender holds it


def _renew_lease(owner: str) -> bool:
    return bool(SenderLease.objects.filter(pk=1, owner=owner).update(until=timezone.now() + SENDER_LEASE))


def telegram_bot(budget: SharedBudget) -> ExtBot[int]:
    """The sender's bot: its calls record the 429s they meet in `budget`; the sender takes each
    message's turn (bulk, after the bot's replies) before it commits to the send."""
    return ExtBot(
        settings.TELEGRAM_BOT_TOKEN,
        base_url=f"{settings.TELEGRAM_API_URL}/bot",
        request=HTTPXRequest(connection_pool_size=MAX_IN_FLIGHT, connect_timeout=5, read_timeout=10),
        rate_limiter=BudgetRateLimiter(budget, bulk=True, takes_turns=False),
    )


async def _deliver(owner: str, deadline: float, report: DeliveryReport) -> None:
    pacer = Pacer()
    in_flight: set[asyncio.Task[None]] = set()
    # No bot.initialize(): it only asks getMe, and sending needs no answer from it.
    budget = shared_budget()
    bot = telegram_bot(budget)  # its shutdown closes the budget
    lease_lost = asyncio.Event()
    keeper = asyncio.create_task(_keep_lease(owner, lease_lost))
    try:
        while time.monotonic() < deadline and not lease_lost.is_set():
            batch = await in_database(outbox.claim, max(1, int(settings.TELEGRAM_RATE_PER_SEC * 2)))
            if not batch:
                if in_flight:  # their outcome may queue retries
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                wait = await in_database(_seconds_to_next_due)
                if wait is None or wait > MAX_WAIT_SEC or time.monotonic() + wait > deadline:
                    break  # beat starts a sender again every few seconds
                await asyncio.sleep(max(wait, 0.05))
                continue
            for index, (message_id, chat_id) in enumerate(batch):
                if lease_lost.is_set():  # another sender runs now: the rest is its
                    await in_database(outbox.release, [pk for pk, _ in batch[index:]])
                    break
                outgoing = await in_database(outbox.prepare, message_id)
                if outgoing is None:
                    continue
                await pacer.slot(chat_id)
                # The turn comes before the row is marked `sending`: a sender that dies while
                # replies go first leaves the row to be sent, not failed as interrupted.
                if not await _turn(budget, deadline):
                    await in_database(outbox.release, [pk for pk, _ in batch[index:]])
                    break
                # Marked here, not in the task: queued behind the next message's prepare() on
                # the database thread, the send would leave late and crowd the next slot.
                if not await in_database(outbox.mark_sending, outgoing):
                    continue
                task = asyncio.create_task(_send(bot, outgoing, report))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                if len(in_flight) >= MAX_IN_FLIGHT:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        if in_flight:
            await asyncio.wait(in_flight)
    finally:
        keeper.cancel()
        await bot.shutdown()
        await in_database(connections.close_all)  # the database thread's own connection, whatever happened


async def _keep_lease(owner: str, lost: asyncio.Event) -> None:
    """Renew the sender's lease while it runs, however long a batch takes (per-chat pacing, a
    long 429 pause): a second sender must never start beside it."""
    while True:
        await asyncio.sleep(SENDER_LEASE.total_seconds() / 3)
        try:
            renewed = await in_database(_renew_lease, owner)
        except DatabaseError as exc:  # it cannot be held: stop, and the next sender takes over
            logger.error("the sender lease could not be renewed (%s); stopping", exc)
            renewed = False
        if not renewed:
            logger.error("the sender lease was lost; stopping")
            lost.set()
            return


async def _turn(budget: SharedBudget, deadline: float) -> bool:
    """Wait for a bulk message's turn in the shared budget; False when it does not come before
    `deadline` (replies and a 429 go first), and the next sender goes on."""
    try:
        await asyncio.wait_for(
            budget.wait_turn("sendMessage", bulk=True), timeout=max(deadline - time.monotonic(), 0.01)
        )
    except TimeoutError:
        return False
    return True


def _seconds_to_next_due() -> float | None:
    due = outbox.next_due()
    return None if due is None else (due - timezone.now()).total_seconds()


async def _send(bot: ExtBot[int], outgoing: outbox.Outgoing, report: DeliveryReport) -> None:
    """Send a message already marked `sending`, and record the outcome."""
    try:
        keyboard = [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in outgoing.buttons
        ]
        await bot.send_message(
            outgoing.chat_id,
            outgoing.text,
            disable_notification=outgoing.silent,
            reply_markup=InlineKeyboardMarkup(keyboard) if keyboard else None,
        )
    except RetryAfter as exc:  # the budget holds every process back meanwhile
        seconds = retry_after_seconds(exc)
        counters.count("telegram_rate_limited")
        report.add("retried")
        await in_database(outbox.retry_later, outgoing.pk, timedelta(seconds=seconds), str(exc))
    except (Forbidden, BadRequest) as exc:
        gone = any(phrase in exc.message.lower() for phrase in GONE)
        _failed(report, outgoing, "deactivated" if gone else "failed", exc.message)
        await in_database(outbox.deactivate if gone else outbox.fail, outgoing.pk, exc.message)
    except (NetworkError, TelegramError) as exc:
        if await in_database(outbox.retry_with_backoff, outgoing.pk, str(exc)):
            report.add("retried")
        else:
            _failed(report, outgoing, "failed", str(exc))
    else:
        report.add("sent")
        await in_database(outbox.mark_sent, outgoing)


def _failed(report: DeliveryReport, outgoing: outbox.Outgoing, result: str, error: str) -> None:
    report.add(result)
    log_event(
        logger,
        "delivery_failed",
        logging.WARNING,
        result=result,
        message_id=outgoing.pk,
        chat_id=outgoing.chat_id,
        error=error,
    )
