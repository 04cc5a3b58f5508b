"""/api/v1/ready: 200 while the database and the broker answer, 503 naming the part that does not."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture
def broker(own_redis) -> Iterator[subprocess.Popen]:
    """The project's Celery app pointed at that Redis."""
    from powerbot.celery import app

    saved = app.conf.broker_url
    app._after_fork()  # no pooled connection to an earlier broker
    app.conf.broker_url = own_redis[0]
    yield own_redis[1]
    app.conf.broker_url = saved
    app._after_fork()


@pytest.mark.django_db
def test_ready_while_database_and_broker_answer(client, broker):
    response = client.get("/api/v1/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_a_stopped_broker_makes_ready_answer_503_naming_it(client, broker):
    broker.terminate()
    broker.wait(timeout=10)

    response = client.get("/api/v1/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("cannot reach the broker (")
    assert "127.0.0.1" not in body["checks"]["broker"]  # no URL, which may carry a password
    assert client.get("/api/v1/health").status_code == 200  # liveness does not depend on the broker


def test_the_served_app_is_ready_on_the_embedded_broker(served_app):
    assert served_app.get_json("/api/v1/ready") == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
