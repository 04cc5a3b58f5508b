"""`make run` on a clean copy of the project: it installs, migrates, serves, and Ctrl-C stops it all.

This is the newcomer's first command, so the test runs it as they would: in a fresh copy
without .env, on the embedded default (SQLite, no broker server), with the bot on a fake
Telegram. Its virtualenv is the Makefile's install of requirements.txt alone, made once per
requirements.txt (testsupport.make_run.runtime_virtualenv).
"""

from __future__ import annotations

import re
import subprocess
import urllib.request

import pytest
from django.db import connection

from conftest import READ_KEY, WRITE_KEY, ServedApp, firmware_post, free_port
from testsupport.make_run import clean_environment, copy_project, make_run, runtime_virtualenv

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="make run is the embedded default (SQLite): it runs once, in the SQLite pass"
)


def test_make_run_serves_a_fresh_copy_and_ctrl_c_leaves_nothing_running(tmp_path, telegram):
    project = copy_project(tmp_path)
    (project / ".venv").symlink_to(runtime_virtualenv())
    port = free_port()
    env = clean_environment(
        SENSOR_API_KEY=WRITE_KEY,
        SENSOR_PUBLIC_API_KEY=READ_KEY,
        WEB_WORKERS="1",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
    )
    root, served = f"http://127.0.0.1:{port}", ServedApp(port, env)

    with make_run(project, env, port, tmp_path / "make-run.log") as running:
        printed = running.output()
        for hint in (
            f"{root}/api/v1/public/sensors/status",
            f"{root}/admin/",
            f"{root}/api/v1/docs/",
            "manage.py createsuperuser",
            f"curl -X POST {root}/api/v1/heartbeat",
        ):
            assert hint in printed
        assert "PowerBot is starting: web, worker, sender, bot (database: " in printed
        assert "broker: embedded)" in printed
        imported = subprocess.run(
            [".venv/bin/python", "manage.py", "import_mappings", "demo/buildings.yaml"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert imported.returncode == 0, imported.stderr

        reply = firmware_post(port, {"api_key": WRITE_KEY, "building_id": 1, "section_id": 2, "sensor_uuid": "smoke-1"})
        assert reply.startswith(b"HTTP/1.1 200 "), reply

        building = served.get_json("/api/v1/public/buildings/1/status")
        assert [section["state"] for section in building["sections"]] == ["unknown", "up"]
        # The public page, its static files from collectstatic's manifest, as residents get them.
        with urllib.request.urlopen(f"{root}/status/1/", timeout=10) as answer:
            page = answer.read().decode()
        assert 'data-section="2" data-state="up"' in page
        for static in re.findall(r'(?:href|src)="(/static/web/[^"]+)"', page):
            with urllib.request.urlopen(f"{root}{static}", timeout=10) as answer:
                assert answer.status == 200 and "immutable" in answer.headers["Cache-Control"]
        assert len(re.findall(r"/static/web/\w+\.[0-9a-f]{12}\.(?:css|js)", page)) == 3  # hashed names
        assert served.get_json("/api/v1/ready")["checks"] == {
            "database": "ok",
            "broker": "ok",
            "detector": "ok",
            "sender": "ok",
        }
        assert telegram.user(501).send("/start", timeout=60).params["chat_id"] in (501, "501")  # the bot answers
        assert len(running.processes()) >= 5  # make, honcho, web, worker, sender, bot...
