"""The sender against the faults of production: PostgreSQL dropping every connection
mid-broadcast (a restart, a failover), Redis restarting under it, a batch outliving its
lease. It goes on, one sender at a time, and each resident gets the message once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Broadcast, Message, Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

CHATS = 150


def deliver_then_close() -> None:
    """A sender in a thread of its own, which closes its own database connection."""
    deliver(max_seconds=30)
    connection.close()


def drop_every_other_connection() -> int:
    """What a PostgreSQL restart does to every process but this test's own connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("terminating connections is PostgreSQL's: it runs in the PostgreSQL pass")


def test_the_sender_goes_on_after_postgresql_drops_its_connections_and_sends_each_once(postgresql, telegram, settings):
    settings.TELEGRAM_RATE_PER_SEC = 100
    telegram.latency = 0.01
    Subscriber.objects.bulk_create(Subscriber(chat_id=1000 + n) for n in range(CHATS))
    broadcast = Broadcast.objects.create(text="Water is off on Monday")
    outbox.send_broadcast(broadcast)
    outbox.queue_broadcast(broadcast.pk)
    outcome: list[object] = []

    def send() -> None:
        try:
            outcome.append(deliver(max_seconds=30))
        except Exception as exc:  # what the Celery task would have raised
            outcome.append(exc)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    telegram.wait_for(lambda: len(telegram.sent()) >= 30, timeout=30)
    assert drop_every_other_connection() >= 1
    sender.join(60)
    for _ in range(5):  # the beat starts the sender again every few seconds
        outbox.fail_interrupted()
        assert deliver(max_seconds=30).ran  # the dead sender's lease was given back
        if not Message.objects.filter(state__in=[Message.State.PENDING, Message.State.SENDING]).exists():
            break
    chats = [int(sent["chat_id"]) for sent in telegram.sent()]
    assert len(chats) == len(set(chats))  # nobody twice
    left = Message.objects.exclude(state=Message.State.SENT)
    # A message whose "sent" could not be written is not resent (it may have arrived): at most those in flight.
    assert left.filter(state=Message.State.PENDING).count() == 0
    assert len(set(chats)) + left.count() >= CHATS and len(set(chats)) >= CHATS - 32


def test_a_batch_longer_than_the_lease_keeps_a_second_sender_out(telegram, monkeypatch, settings):
    from datetime import timedelta

    from notifications import delivery

    monkeypatch.setattr(delivery, "SENDER_LEASE", timedelta(seconds=1.5))
    subscriber = Subscriber.objects.create(chat_id=7)
    for number in range(5):  # one chat: a message a second, so the batch takes 4 s or more
        broadcast = Broadcast.objects.create(text=f"notice {number}")
        outbox.send_broadcast(broadcast)
        outbox.queue_broadcast(broadcast.pk)
    assert Message.objects.filter(subscriber=subscriber).count() == 5
    first = threading.Thread(target=deliver_then_close)
    first.start()
    telegram.wait_for(lambda: len(telegram.sent()) >= 3, timeout=30)  # 2 s in: past the lease
    assert deliver(max_seconds=5).ran is False  # the first still holds it
    first.join(30)
    assert len(telegram.sent(7)) == 5 and Message.objects.filter(state=Message.State.SENT).count() == 5


def test_a_redis_restart_under_the_sender_loses_nothing_and_sends_nothing_twice(telegram, own_redis, settings):
    import time

    settings.REDIS_URL, settings.TELEGRAM_RATE_PER_SEC = own_redis.url, 100  # the budget lives in this Redis
    telegram.latency = 0.01
    Subscriber.objects.bulk_create(Subscriber(chat_id=2000 + n) for n in range(60))
    broadcast = Broadcast.objects.create(text="Water is off on Monday")
    outbox.send_broadcast(broadcast)
    outbox.queue_broadcast(broadcast.pk)
    sender = threading.Thread(target=deliver_then_close)
    sender.start()
    telegram.wait_for(lambda: len(telegram.sent()) >= 15, timeout=30)
    own_redis.stop()  # Redis goes away mid-broadcast...
    time.sleep(0.3)
    own_redis.start()  # ...and comes back, empty
    sender.join(60)
    for _ in range(3):
        deliver(max_seconds=30)
    chats = [int(sent["chat_id"]) for sent in telegram.sent()]
    assert len(chats) == len(set(chats)) == 60  # each once
    assert Message.objects.filter(state=Message.State.SENT).count() == 60


def test_a_lease_that_cannot_be_renewed_stops_the_sender(telegram, monkeypatch):
    from datetime import timedelta

    from django.db import OperationalError

    from notifications import delivery

    monkeypatch.setattr(delivery, "SENDER_LEASE", timedelta(seconds=0.6))

    def database_gone(owner: str) -> bool:
        raise OperationalError("the connection is lost")

    monkeypatch.setattr(delivery, "_renew_lease", database_gone)
    subscriber = Subscriber.objects.create(chat_id=7)
    for number in range(4):  # one chat: a message a second
        broadcast = Broadcast.objects.create(text=f"notice {number}")
        outbox.send_broadcast(broadcast)
        outbox.queue_broadcast(broadcast.pk)
    report = deliver(max_seconds=20)
    assert report.ran and len(telegram.sent(7)) < 4  # stopped, the rest left to the next sender
    assert Message.objects.filter(subscriber=subscriber, state=Message.State.PENDING).exists()


def test_a_redis_restart_under_the_worker_and_the_web_keeps_heartbeats_and_tells_each_change_once(
    telegram, own_redis, workers, make_building, make_sensor, beat
):
    import time
    from datetime import timedelta

    from django.utils import timezone

    from conftest import publishing_to, subscribe, wait_for
    from powerbot.celery import app
    from sensors.models import PowerState, SectionPower, Sensor
    from sensors.power import detect_offline

    make_building(sections=1)
    make_sensor("a", section=1)
    detect_offline()  # the detector has been running
    beat("a")
    chats = [300 + n for n in range(20)]
    for chat in chats:
        subscribe(chat, (10, 1), language="en")

    def told() -> dict[int, list[str]]:
        return {chat: telegram.texts(chat) for chat in chats}

    with workers.run(REDIS_URL=own_redis.url), publishing_to(own_redis.url):
        Sensor.objects.update(offline_after=timezone.now() - timedelta(seconds=1))  # the board fell silent
        detect_offline()  # power off: its notice goes through Redis to the worker
        assert wait_for(lambda: all(len(texts) == 1 for texts in told().values()), 60), workers.log()

        own_redis.stop()  # Redis goes away...
        for _ in range(3):  # ...power comes back meanwhile: heartbeats are still taken
            assert beat("a").status_code == 200
        assert SectionPower.objects.get().state == PowerState.UP

        own_redis.start()  # ...and comes back, empty: the notice queued while it was away is gone with it
        deadline = time.monotonic() + 90
        while not all(len(texts) == 2 for texts in told().values()) and time.monotonic() < deadline:
            app.send_task("notifications.tasks.announce_missed")  # what beat sends every 30 s
            wait_for(lambda: all(len(texts) == 2 for texts in told().values()), 5)
        app.send_task("notifications.tasks.deliver")  # and the sender's own beat, once more
        time.sleep(3)
    outbox_states = list(Message.objects.values_list("subscriber__chat_id", "state", "attempts"))
    for chat, texts in told().items():  # each change once, in order
        assert len(texts) == 2 and "off" in texts[0].lower() and "on" in texts[1].lower(), (
            chat,
            texts,
            outbox_states,
            workers.log(),
        )


def test_a_redis_restart_while_the_worker_is_sending_leaves_the_worker_running(telegram, own_redis, workers):
    """Celery 5.7.0's worker exited here ("Unrecoverable error: AttributeError: 'NoneType' object
    has no attribute 'hostname'") once the running task ended: it closed its lost connection
    after detaching it, and the close tried to give back the message of the task still
    running, the sender's. Nothing was taken from the queue after that."""
    import time

    from django.utils import timezone

    from conftest import publishing_to, wait_for
    from notifications.models import SenderLease
    from powerbot.celery import app

    def sender_at_work() -> bool:
        return SenderLease.objects.filter(until__gt=timezone.now()).exists()

    def broadcast(text: str) -> None:
        sent = Broadcast.objects.create(text=text)
        outbox.send_broadcast(sent)
        outbox.queue_broadcast(sent.pk)

    def delivered(text: str) -> list[int]:
        return sorted(int(message["chat_id"]) for message in telegram.sent() if message["text"] == text)

    def deliver_until_told(text: str) -> None:
        deadline = time.monotonic() + 60
        while delivered(text) != chats and time.monotonic() < deadline:
            app.send_task("notifications.tasks.deliver")  # what beat sends every 5 s
            wait_for(lambda: delivered(text) == chats, 5)

    telegram.latency = 0.05
    chats = [4000 + n for n in range(60)]
    Subscriber.objects.bulk_create(Subscriber(chat_id=chat) for chat in chats)
    with workers.run(REDIS_URL=own_redis.url, TELEGRAM_RATE_PER_SEC="10") as worker, publishing_to(own_redis.url):
        broadcast("Lift maintenance on Friday")
        app.send_task("notifications.tasks.deliver")  # the sender takes it: six seconds at ten a second
        assert telegram.wait_for(lambda: len(telegram.sent()) >= 5, timeout=60), workers.log()
        own_redis.stop()  # Redis goes away while the sender's task is running...
        time.sleep(0.5)
        own_redis.start()  # ...and comes back, empty
        deliver_until_told("Lift maintenance on Friday")
        assert wait_for(lambda: not sender_at_work(), 90)  # that task has ended
        time.sleep(2)
        assert worker.poll() is None, workers.log()  # the worker is still there...

        broadcast("Water is off on Monday")
        deliver_until_told("Water is off on Monday")  # ...and still takes tasks
    assert delivered("Lift maintenance on Friday") == delivered("Water is off on Monday") == chats, workers.log()
