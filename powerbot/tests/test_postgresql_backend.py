"""The PostgreSQL health check looks at the connection's socket instead of sending SELECT 1:
a healthy connection is kept without a query, one the server ended is replaced in time."""

from __future__ import annotations

import select
import time
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection

from conftest import WRITE_KEY, ServedApp, _connection_params, firmware_post, scalar

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check")


def admin() -> psycopg.Connection:
    return psycopg.connect(**{**_connection_params(), "dbname": "postgres"}, autocommit=True)


def last_query(pid: int) -> str:
    with admin() as other:
        return scalar(other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone())


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_healthy_idle_connection_passes_the_check_without_a_query(transactional_db):
    pid = backend_pid()
    connection.health_check_done = False  # type: ignore[attr-defined]  # as at the start of a request (not in Django's stubs)

    connection.close_if_health_check_failed()

    assert connection.connection is not None and connection.health_check_done  # type: ignore[attr-defined]
    assert last_query(pid) == "SELECT pg_backend_pid()"  # no SELECT 1 was sent
    assert backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(transactional_db):
    pid = backend_pid()
    with admin() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert select.select([connection.connection.fileno()], [], [], 10)[0], "the server said nothing"
    connection.health_check_done = False  # type: ignore[attr-defined]

    assert backend_pid() != pid  # a new connection, not an error


def test_heartbeats_keep_succeeding_after_the_server_drops_every_connection(served_app: ServedApp):
    served_app.manage("import_mappings", "-", stdin="buildings:\n  - {id: 31, name: Leeds, sections: 1}\n")
    database = urlsplit(served_app.env["DATABASE_URL"]).path.lstrip("/")
    payload = {"api_key": WRITE_KEY, "building_id": 31, "section_id": 1, "sensor_uuid": "restart-1"}
    for _ in range(4):  # both workers hold a connection
        assert firmware_post(served_app.port, payload).startswith(b"HTTP/1.1 200 ")

    with admin() as other:
        dropped = scalar(
            other.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", [database]
            ).fetchone()
        )
        assert dropped >= 1
        deadline = time.monotonic() + 10
        while scalar(other.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()):
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)

    replies = [firmware_post(served_app.port, payload) for _ in range(8)]
    assert all(reply.startswith(b"HTTP/1.1 200 ") for reply in replies), [r.split(b"\r\n")[0] for r in replies]
