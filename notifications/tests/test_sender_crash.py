"""A sender killed in the middle of a broadcast: the restarted one sends the rest, nothing twice."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from celery import Celery
from django.utils import timezone

from notifications.delivery import MAX_IN_FLIGHT, deliver
from notifications.models import Broadcast, Message, Subscriber
from notifications.outbox import INTERRUPTED, queue_broadcast, send_broadcast

CHATS = 150


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_broadcast_is_restarted_and_sends_the_rest_once(
    telegram,
    workers,
    time_machine,
    settings,
):
    Subscriber.objects.bulk_create(Subscriber(chat_id=1000 + n, name=f"chat {n}") for n in range(CHATS))
    broadcast = Broadcast.objects.create(text="Water is off on Monday, 9:00-13:00.", created_by="alice")
    assert send_broadcast(broadcast) and queue_broadcast(broadcast.pk) == CHATS

    with workers.run(TELEGRAM_RATE_PER_SEC="50") as worker:
        sender = Celery("powerbot-test", broker=workers.embedded_broker, set_as_current=False)
        sender.send_task("notifications.tasks.deliver", queue="telegram")
        deadline = time.monotonic() + 60
        while len(telegram.sent()) < CHATS // 3 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        assert len(telegram.sent()) >= CHATS // 3, workers.log() if worker.poll() is not None else "too slow"
    # The worker was killed outright at the end of the block: mid-broadcast, as a crash or OOM kill would.
    before_restart = len(telegram.sent())
    assert before_restart < CHATS

    # Restarted once the dead sender's leases have run out.
    time_machine.move_to(timezone.now() + timedelta(seconds=61), tick=True)
    settings.TELEGRAM_RATE_PER_SEC = 200
    report = deliver()

    received = Counter(int(params["chat_id"]) for params in telegram.sent())
    assert max(received.values()) == 1  # nobody got it twice
    states = Counter(Message.objects.values_list("state", flat=True))
    interrupted = set(Message.objects.filter(error=INTERRUPTED).values_list("subscriber__chat_id", flat=True))
    assert report.sent > 0 and len(telegram.sent()) > before_restart
    assert states[Message.State.SENT] + states[Message.State.FAILED] == CHATS
    assert len(interrupted) == states[Message.State.FAILED] <= MAX_IN_FLIGHT
    sent_chats = set(Message.objects.filter(state=Message.State.SENT).values_list("subscriber__chat_id", flat=True))
    assert sent_chats <= set(received) and set(received) - sent_chats <= interrupted  # nobody forgotten
