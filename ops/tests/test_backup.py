"""`manage.py backup` and `restore`: a restored database serves the same state."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from conftest import BASE_DIR, _connection_params, project_env, run_manage, scratch_database_url

# Prints what the read API answers, from the database the process is configured with.
READ_STATE = """
from django.conf import settings
from django.test import Client
client = Client(HTTP_X_API_KEY=settings.SENSOR_PUBLIC_API_KEY)
for path in ("/api/v1/public/buildings/1/status", "/api/v1/public/sensors/status",
             "/api/v1/public/sections/1/1/events"):
    print(client.get(path).content.decode())
"""
BEAT = """
import json
from django.conf import settings
from django.test import Client
for section, uuid in ((1, "b-1"), (2, "b-2"), (1, "b-3")):
    body = {"api_key": settings.SENSOR_API_KEY, "building_id": 1, "section_id": section, "sensor_uuid": uuid}
    assert Client().post("/api/v1/heartbeat", data=json.dumps(body), content_type="application/json").status_code == 200
"""


@pytest.fixture(scope="module")
def fresh_database(tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """Empty databases of this run's kind, outside the test's transaction: name -> DATABASE_URL."""
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return scratch_database_url(f"backup_{name}", tmp_path_factory.mktemp("backup"))

    yield make
    if connection.vendor == "postgresql":
        import psycopg

        params = _connection_params()
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{params["dbname"]}_backup_{name}" WITH (FORCE)')


def manage(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_manage(project_env(url), *args, stdin=stdin)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def source(fresh_database) -> str:
    """A migrated database with demo buildings and three heartbeats; the tests only read it."""
    url = fresh_database("source")
    ok(manage(url, "migrate", "--noinput", "-v", "0"))
    ok(manage(url, "import_mappings", str(BASE_DIR / "demo" / "buildings.yaml")))
    ok(manage(url, "shell", "-c", BEAT))
    return url


def test_a_restored_database_serves_the_same_state(source, fresh_database, tmp_path):
    backup = tmp_path / f"powerbot{'.sqlite3' if connection.vendor == 'sqlite' else '.pgdump'}"
    made = ok(manage(source, "backup", "--output", str(backup)))
    assert f"Backup written: {backup}" in made and backup.stat().st_size > 0
    assert "copied" in made if connection.vendor == "sqlite" else "dumping contents of table" in made

    target = fresh_database("restored")
    restored = ok(manage(target, "restore", str(backup), "--yes"))

    assert "Restored." in restored
    state = ok(manage(source, "shell", "-c", READ_STATE))
    assert '"state":"up"' in state and '"sensors_online":2' in state
    assert ok(manage(target, "shell", "-c", READ_STATE)) == state
    ok(manage(target, "migrate", "--check"))  # exits 0: nothing left to migrate, the schema came along


def test_a_backup_that_cannot_be_written_says_so(source):
    result = manage(source, "backup", "--output", "/proc/powerbot.backup")  # no file can be made there

    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: ") and "Traceback" not in result.stderr
    assert "Backup written" not in result.stdout


def test_backup_never_overwrites_a_file(source, tmp_path):
    existing = tmp_path / "keep.bin"
    existing.write_bytes(b"precious")

    result = manage(source, "backup", "--output", str(existing))

    assert result.returncode == 1 and "exists already" in result.stderr
    assert existing.read_bytes() == b"precious"


@pytest.mark.parametrize("case", ["text", "truncated", "other kind"])
def test_a_bad_backup_is_refused_and_nothing_changes(source, tmp_path, case):
    sqlite = connection.vendor == "sqlite"
    bad = tmp_path / "bad.backup"
    if case == "text":
        bad.write_bytes(b"just some text")
        problem = "is not a PowerBot backup"
    elif case == "truncated":
        whole = tmp_path / "whole.backup"
        ok(manage(source, "backup", "--output", str(whole)))
        bad.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        problem = "is damaged" if sqlite else "pg_restore failed"
    else:
        bad.write_bytes((b"PGDMP" if sqlite else b"SQLite format 3\x00") + b"\x00" * 80)
        problem = "backup, but DATABASE_URL points to"
    before = ok(manage(source, "shell", "-c", READ_STATE))

    result = manage(source, "restore", str(bad), "--yes")

    assert result.returncode == 1
    assert problem in result.stderr and "Nothing was changed." in result.stderr
    assert ok(manage(source, "shell", "-c", READ_STATE)) == before


def test_restore_asks_first_and_stops_without_a_yes(source, tmp_path):
    backup = tmp_path / "b.backup"
    ok(manage(source, "backup", "--output", str(backup)))

    result = manage(source, "restore", str(backup), stdin="no\n")

    assert result.returncode == 1
    assert "Type 'yes' to go on" in result.stdout and "Nothing was changed." in result.stderr


def test_backups_go_to_the_data_folder_by_default(source):
    made = ok(manage(source, "backup"))
    path = Path(made.splitlines()[0].removeprefix("Backing up to "))
    try:
        assert path.parent == BASE_DIR / "var" / "backups" and path.is_file()
    finally:
        path.unlink()
