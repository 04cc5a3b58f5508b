"""Background work: the brokers deliver every message once, and a real worker runs the detector."""

from __future__ import annotations

import time

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from kombu import Connection

from sensors.models import DetectorClock


@pytest.fixture(params=["redis", "embedded"])
def broker_url(request, tmp_path) -> str:
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


@pytest.fixture
def celery_app(broker_url: str) -> Celery:
    """The project's Celery configuration, pointed at the broker under test."""
    app = Celery("powerbot-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker_url
    app.autodiscover_tasks(["sensors"], force=True)
    return app


def test_embedded_broker_is_the_default_without_redis(settings):
    from powerbot.celery import app

    assert settings.REDIS_URL or app.conf.broker_url.startswith("sqla+sqlite:///")


def test_broker_delivers_every_message_exactly_once(broker_url):
    with Connection(broker_url) as connection:
        queue = connection.SimpleQueue("powerbot-test")
        for n in range(200):
            queue.put({"n": n})
        received = []
        for _ in range(200):
            message = queue.get(timeout=10)
            received.append(message.payload["n"])
            message.ack()
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.5)
        queue.close()
    assert sorted(received) == list(range(200))


def test_an_unacknowledged_message_is_delivered_again(broker_url):
    """What late acks rely on: a worker that dies before acking loses nothing."""
    with Connection(broker_url) as first:
        queue = first.SimpleQueue("powerbot-redelivery")
        queue.put({"job": "detect"})
        assert queue.get(timeout=10).payload == {"job": "detect"}  # taken, never acked
        queue.close()
    with Connection(broker_url) as second:
        queue = second.SimpleQueue("powerbot-redelivery")
        message = queue.get(timeout=20)
        assert message.payload == {"job": "detect"}
        message.ack()
        queue.close()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_offline_detector(celery_app):
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for start_worker)

    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10):
        celery_app.send_task("sensors.tasks.detect_offline_sensors")
        deadline = time.monotonic() + 20
        while not DetectorClock.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert DetectorClock.objects.exists()
