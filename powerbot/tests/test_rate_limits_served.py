"""Rate limits under real gunicorn with two workers: one count for both, kept in the database's
cache table, or in Redis when REDIS_URL is set."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import READ_KEY, WRITE_KEY, firmware_post, project_env, run_manage, scratch_database_url
from testsupport.serving import Served, gunicorn

pytestmark = pytest.mark.django_db(transaction=True)

BUILDINGS = "buildings:\n  - {id: 10, name: London, sections: 3}\n"


@contextmanager
def served(tmp_path: Path, name: str, **settings: str) -> Iterator[tuple[Served, dict[str, str]]]:
    """The app on a fresh database under gunicorn with two workers, each request's worker
    process id in its log (the access log, which the project's logging sends there); and its
    environment, for manage.py."""
    env = project_env(scratch_database_url(name, tmp_path), METRICS_FLUSH_SEC="0", **settings)
    for args, stdin in ((("migrate", "--noinput", "-v", "0"), None), (("import_mappings", "-"), BUILDINGS)):
        done = run_manage(env, *args, stdin=stdin)
        assert done.returncode == 0, done.stderr
    options = ("--workers", "2", "--access-logfile", "-", "--access-logformat", "%(p)s %(U)s")
    with gunicorn(env, tmp_path / f"{name}.log", "powerbot.wsgi", *options) as app:
        yield app, env


def heartbeat(port: int, uuid: str) -> tuple[int, dict[str, str], dict[str, str]]:
    """The status, headers and JSON body of a firmware heartbeat."""
    reply = firmware_post(port, {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": uuid})
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, json.loads(body.strip() or b"{}")


def read(port: int, key: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/public/buildings", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def hold_a_worker(port: int) -> socket.socket:
    """A request that never ends: the worker that took it waits, and the next go to the other."""
    held = socket.create_connection(("127.0.0.1", port))
    held.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
    time.sleep(0.5)  # taken by a worker, which now waits for the rest
    return held


def let_go(held: socket.socket) -> None:
    held.close()
    time.sleep(0.5)  # its worker sees the end and takes requests again


def heartbeat_workers(app: Served) -> list[str]:
    """The process id of each heartbeat's worker, in order."""
    return re.findall(r"gunicorn\.access <(\d+)> /api/v1/heartbeat$", app.log(), re.MULTILINE)


def last_heartbeat(env: dict[str, str], uuid: str) -> str:
    code = f"from sensors.models import Sensor; print(Sensor.objects.get(uuid={uuid!r}).last_heartbeat.isoformat())"
    shown = run_manage(env, "shell", "-c", code)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


@pytest.fixture(params=["database", "redis"])
def where_counted(request) -> dict[str, str]:
    """The setting that chooses where the counts are kept: the database's cache table, or Redis."""
    return {"REDIS_URL": request.getfixturevalue("redis_url") if request.param == "redis" else ""}


def test_one_limit_holds_across_both_workers(tmp_path, where_counted):
    with served(tmp_path, "limits", HEARTBEAT_RATE="4/min", READ_API_RATE="3/min", **where_counted) as (app, env):
        first = hold_a_worker(app.port)
        answers = [heartbeat(app.port, "runaway")[0] for _ in range(2)]  # the other worker
        second = hold_a_worker(app.port)  # taken by the other worker: both are busy
        let_go(first)
        answers += [heartbeat(app.port, "runaway")[0] for _ in range(2)]  # the first worker
        let_go(second)
        heard = last_heartbeat(env, "runaway")
        status, headers, body = heartbeat(app.port, "runaway")

        assert answers == [200, 200, 200, 200]
        workers = heartbeat_workers(app)
        assert workers[0] == workers[1] != workers[2] == workers[3]
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert body == {"status": "error", "message": f"Too many requests; try again in {headers['Retry-After']} s"}
        assert last_heartbeat(env, "runaway") == heard  # the limited heartbeat recorded nothing
        assert heartbeat(app.port, "neighbour")[0] == 200  # another sensor is heard

        assert [read(app.port, READ_KEY) for _ in range(4)] == [200, 200, 200, 429]
        assert read(app.port, "wrong") == 401  # another key is its own matter


def test_limits_set_to_0_are_off(tmp_path):
    with served(tmp_path, "unlimited", HEARTBEAT_RATE="0", READ_API_RATE="0", BAD_KEY_RATE="0") as (app, _):
        assert {heartbeat(app.port, "busy")[0] for _ in range(10)} == {200}
        assert {read(app.port, READ_KEY) for _ in range(10)} == {200}
        assert {read(app.port, "wrong") for _ in range(10)} == {401}
