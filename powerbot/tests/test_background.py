"""Background work: the brokers deliver every message once, and a real worker runs the detector."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from kombu import Connection

from conftest import wait_for
from testsupport.brokers import use_broker


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
    use_broker(app, broker_url)
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
def test_a_real_worker_records_power_off_and_prunes_old_data(celery_app, beat, time_travel, settings):
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for start_worker)

    from buildings.models import Building
    from sensors.models import PowerCause, PowerState, SectionPower, Sensor, SensorTransition
    from sensors.power import detect_offline

    Building.objects.create(id=10, name="London", section_count=1)
    detect_offline()
    beat()
    SensorTransition.objects.create(sensor=Sensor.objects.get(), online=False, at=timezone.now() - timedelta(days=400))
    time_travel(seconds=settings.SENSOR_TIMEOUT_SEC - 5)
    detect_offline()
    time_travel(seconds=10)  # the sensor is now past its deadline: the worker's tick finds it

    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10):
        celery_app.send_task("sensors.tasks.detect_offline_sensors")
        celery_app.send_task("sensors.tasks.prune_telemetry")
        recorded = wait_for(lambda: SectionPower.objects.filter(state=PowerState.DOWN).exists(), 20)
        pruned = wait_for(lambda: SensorTransition.objects.count() == 2, 20)  # online, then offline
    assert recorded and SectionPower.objects.get().cause == PowerCause.TIMEOUT
    assert pruned


def test_the_embedded_brokers_queues_are_made_once_before_its_processes_start(tmp_path):
    """runall declares them first: kombu's SQLAlchemy transport makes a queue's row at first use
    under a lock of one process only, and a worker and a sender starting together could both
    insert it, one dying on kombu_queue.name's unique constraint."""
    import sqlite3
    import subprocess
    import sys

    from powerbot.celery import app, declare_queues

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    before = app.conf.broker_url
    use_broker(app, url)
    try:
        declare_queues()
        declare_queues()  # every start of runall does it again
    finally:
        use_broker(app, before)
    with sqlite3.connect(tmp_path / "broker.sqlite3") as database:
        assert sorted(row[0] for row in database.execute("SELECT name FROM kombu_queue")) == ["celery", "telegram"]

    # Processes starting together now each find their queue, and publish to it.
    starting = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from kombu import Connection\n"
                "with Connection(sys.argv[1]) as c:\n"
                "    for q in ('celery', 'telegram'): c.SimpleQueue(q).put('hello')",
                url,
            ]
        )
        for _ in range(6)
    ]
    assert [process.wait(timeout=60) for process in starting] == [0] * 6
    with sqlite3.connect(tmp_path / "broker.sqlite3") as database:
        assert database.execute("SELECT COUNT(*) FROM kombu_message").fetchone()[0] == 12
