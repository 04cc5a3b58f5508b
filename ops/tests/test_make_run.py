"""`make run` on a clean copy of the project: it installs, migrates, serves, and Ctrl-C stops it all.

This is the newcomer's first command, so the test runs it as they would: in a fresh
directory without a virtualenv, on the embedded default (SQLite, no broker server), with
the bot on a fake Telegram. It needs the package index (or pip's cache) for the install.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from conftest import BASE_DIR, READ_KEY, WRITE_KEY, ServedApp, firmware_post, free_port

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite",
                                reason="make run is the embedded default (SQLite): it runs once, in the SQLite pass")

LEFT_OUT = shutil.ignore_patterns(".venv", "var", ".git", ".env", "__pycache__", ".pytest_cache", ".hypothesis")
START_TIMEOUT_SEC = 420  # a fresh virtualenv and pip install come first


def processes_marked(marker: str) -> list[int]:
    """Every live process whose environment carries `marker` (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if f"POWERBOT_RUN_MARKER={marker}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def test_make_run_serves_a_fresh_copy_and_ctrl_c_leaves_nothing_running(tmp_path, telegram):
    project = tmp_path / "powerbot"
    shutil.copytree(BASE_DIR, project, ignore=LEFT_OUT)
    port, marker = free_port(), uuid.uuid4().hex
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SENSOR_", "TELEGRAM_", "DATABASE_", "REDIS_", "VIRTUAL_ENV", "DJANGO_"))}
    env |= {"SENSOR_API_KEY": WRITE_KEY, "SENSOR_PUBLIC_API_KEY": READ_KEY, "POWERBOT_RUN_MARKER": marker,
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url, "WEB_WORKERS": "1"}
    output = (tmp_path / "make-run.log").open("w+")
    run = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=project, env=env, stdout=output,
                           stderr=subprocess.STDOUT, start_new_session=True)  # its own group, as a terminal's job
    root, served = f"http://127.0.0.1:{port}", ServedApp(port, env)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SEC
        while True:
            try:
                assert served.get_json("/api/v1/health")["status"] == "ok"
                break
            except OSError:
                assert run.poll() is None, Path(output.name).read_text()[-3000:]
                assert time.monotonic() < deadline, "make run did not serve in time"
                time.sleep(0.5)

        printed = Path(output.name).read_text()
        for hint in (f"{root}/api/v1/public/sensors/status", f"{root}/admin/", f"{root}/api/v1/docs/",
                     "manage.py createsuperuser", f"curl -X POST {root}/api/v1/heartbeat"):
            assert hint in printed
        assert "PowerBot is starting: web, worker, sender, bot" in printed
        imported = subprocess.run([".venv/bin/python", "manage.py", "import_mappings", "demo/buildings.yaml"],
                                  cwd=project, env=env, capture_output=True, text=True, timeout=60)
        assert imported.returncode == 0, imported.stderr

        reply = firmware_post(port, {"api_key": WRITE_KEY, "building_id": 1, "section_id": 2,
                                      "sensor_uuid": "smoke-1"})
        assert reply.startswith(b"HTTP/1.1 200 "), reply

        building = served.get_json("/api/v1/public/buildings/1/status")
        assert [section["state"] for section in building["sections"]] == ["unknown", "up"]
        assert served.get_json("/api/v1/ready")["checks"] == {"database": "ok", "broker": "ok"}
        assert telegram.user(501).send("/start", timeout=60).params["chat_id"] in (501, "501")  # the bot answers
        assert marker and len(processes_marked(marker)) >= 5  # make, honcho, web, worker, sender, bot...
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        run.wait(timeout=60)

    deadline = time.monotonic() + 15
    while processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_marked(marker) == [], Path(output.name).read_text()[-3000:]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{root}/api/v1/health", timeout=2)

