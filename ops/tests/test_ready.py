"""/api/v1/ready: 200 while the database and the broker answer, 503 naming the part that does not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import OwnRedis
from testsupport.brokers import use_broker

ALL_OK = {"database": "ok", "broker": "ok", "detector": "ok", "sender": "ok"}


@pytest.fixture
def broker(own_redis) -> Iterator[OwnRedis]:
    """The project's Celery app pointed at that Redis."""
    from powerbot.celery import app

    saved = app.conf.broker_url
    use_broker(app, own_redis.url)
    yield own_redis
    use_broker(app, saved)


@pytest.mark.django_db
def test_ready_while_database_and_broker_answer(client, broker):
    response = client.get("/api/v1/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ALL_OK}


@pytest.mark.django_db
def test_a_stopped_broker_makes_ready_answer_503_naming_it(client, broker):
    broker.stop()

    response = client.get("/api/v1/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("cannot reach the broker (")
    assert "127.0.0.1" not in body["checks"]["broker"]  # no URL, which may carry a password
    assert client.get("/api/v1/health").status_code == 200  # liveness does not depend on the broker


def test_the_served_app_is_ready_on_the_embedded_broker(served_app):
    assert served_app.get_json("/api/v1/ready") == {"status": "ok", "checks": ALL_OK}


@pytest.mark.django_db
def test_a_detector_that_stopped_ticking_or_a_sender_that_stopped_sending_makes_ready_503(
    client, broker, time_travel, settings, make_building
):
    from django.utils import timezone

    from notifications.models import Message, Subscriber
    from sensors.power import detect_offline

    detect_offline()
    assert client.get("/api/v1/ready").json()["checks"] == ALL_OK
    time_travel(seconds=3 * settings.SENSOR_CHECK_INTERVAL_SEC + 31)  # no worker ticked since
    response = client.get("/api/v1/ready")
    assert response.status_code == 503 and response.json()["checks"]["detector"] == (
        "the offline detector has not run for 61 s"
    )
    detect_offline()
    settings.TELEGRAM_BOT_TOKEN = "123456:TOKEN"
    Message.objects.create(
        subscriber=Subscriber.objects.create(chat_id=7), kind=Message.Kind.BROADCAST, not_before=timezone.now()
    )
    assert client.get("/api/v1/ready").status_code == 200  # due just now: the sender has time
    time_travel(seconds=121)
    detect_offline()
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["sender"] == "1 message(s) due for over 120 s are not sent"


@pytest.mark.django_db
def test_a_sender_working_through_a_long_queue_is_ready(client, broker, time_travel, settings):
    from django.utils import timezone

    from notifications import delivery
    from notifications.models import Message, Subscriber
    from sensors.power import detect_offline

    settings.TELEGRAM_BOT_TOKEN = "123456:TOKEN"
    subscriber = Subscriber.objects.create(chat_id=7)
    Message.objects.bulk_create(  # a broadcast's tail: due minutes ago, behind the rate limit
        Message(subscriber=subscriber, kind=Message.Kind.BROADCAST, topic=f"b:{n}", not_before=timezone.now())
        for n in range(3)
    )
    time_travel(seconds=121)
    detect_offline()
    assert delivery._take_lease("busy sender")  # sending, and renewing its lease as it goes
    assert client.get("/api/v1/ready").status_code == 200
    time_travel(seconds=delivery.SENDER_LEASE.total_seconds() + 1)  # it died: its lease ran out
    detect_offline()
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["sender"] == "3 message(s) due for over 120 s are not sent"
