"""The production path on a runtime-only install: requirements.txt alone, PostgreSQL and Redis.

The Docker image installs requirements.txt and nothing else, so a package that only the test
dependencies bring in (kombu's Redis transport needing `packaging`, say) breaks production
while every other test passes. These tests run the project under the interpreter of such an
install (testsupport.make_run.runtime_virtualenv): in both passes every module imports and the
brokers' transports load; in the PostgreSQL pass, `make run` with DATABASE_URL and REDIS_URL
carries a power cut from heartbeat to the resident's Telegram.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from conftest import BASE_DIR, READ_KEY, WRITE_KEY, ServedApp, firmware_post, free_port, scratch_database_url
from testsupport.make_run import clean_environment, copy_project, make_run, runtime_virtualenv
from testsupport.mqtt import Board

production_path = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the production path runs on PostgreSQL: it runs in the PostgreSQL pass"
)

# Imports each module named on the command line; prints the ones that fail, as JSON.
IMPORT_ALL = """
import importlib, json, runpy, sys, django
django.setup()
failed = {}
for name in sys.argv[1:]:
    try:
        runpy.run_path(name) if name.endswith(".py") else importlib.import_module(name)
    except BaseException as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""
NOT_SHIPPED_TO_RUN = {"tests", "testsupport", "bench", "esp32", ".venv", "var"}


def project_modules() -> list[str]:
    """Every Python module the running service may import (tests and benchmarks excluded)."""
    modules = []
    for path in sorted(BASE_DIR.rglob("*.py")):
        relative = path.relative_to(BASE_DIR)
        if NOT_SHIPPED_TO_RUN & set(relative.parts) or relative.name == "conftest.py":
            continue
        if relative.name.count(".") > 1:  # a file run by path, not imported (powerbot/gunicorn.conf.py)
            modules.append(str(relative))
            continue
        modules.append(".".join(relative.with_suffix("").parts).removesuffix(".__init__"))
    return modules


@pytest.fixture(scope="module")
def runtime_python() -> Path:
    return runtime_virtualenv() / "bin" / "python"


def test_every_module_imports_under_a_runtime_only_install(runtime_python, test_database_url):
    modules = project_modules()
    assert {"sensors.tasks", "telegrambot.management.commands.runbot", "powerbot/gunicorn.conf.py"} <= set(modules)
    # The production settings: the database of this pass, and Redis (only named: nothing connects).
    env = clean_environment(
        DATABASE_URL=test_database_url,
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY="test-secret",
        DJANGO_SETTINGS_MODULE="powerbot.settings",
        PYTHONPATH=str(BASE_DIR),
    )
    result = subprocess.run(
        [runtime_python, "-c", IMPORT_ALL, *modules], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}


def test_the_brokers_transports_need_nothing_the_tests_bring(runtime_python):
    """kombu imports a transport only when a worker connects: import both as the workers do,
    and let pip confirm every installed package has what it declares."""
    imported = subprocess.run(
        [runtime_python, "-c", "import kombu.transport.redis, kombu.transport.sqlalchemy"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    checked = subprocess.run([runtime_python, "-m", "pip", "check"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


@production_path
def test_make_run_on_postgresql_and_redis_carries_a_power_cut_to_telegram(
    tmp_path, telegram, redis_url, mosquitto, runtime_python, transactional_db
):
    project = copy_project(tmp_path)
    (project / ".venv").symlink_to(runtime_python.parent.parent)
    port = free_port()
    env = clean_environment(
        DATABASE_URL=scratch_database_url("runtime", tmp_path),
        REDIS_URL=redis_url,
        SECRET_KEY="test-secret",
        SENSOR_API_KEY=WRITE_KEY,
        SENSOR_PUBLIC_API_KEY=READ_KEY,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        WEB_WORKERS="1",
        # A power cut within seconds: silent for 5 s is off, and the detector looks every second.
        SENSOR_TIMEOUT_SEC="5",
        SENSOR_CHECK_INTERVAL_SEC="1",
        MQTT_URL=mosquitto,
        MQTT_SHARE_GROUP=f"runtime-{secrets.token_hex(4)}",
        MQTT_WILL_SETTLE_SEC="0",
    )
    served, root = ServedApp(port, env), f"http://127.0.0.1:{port}"
    resident = telegram.user(601, language_code="en")

    def notices(kind: str) -> list[str]:
        return [text for text in telegram.texts(resident.id) if text.startswith(kind)]

    with make_run(project, env, port, tmp_path / "make-run.log") as running:
        banner = "PowerBot is starting: web, worker, sender, bot, mqtt (database: PostgreSQL; broker: Redis)"
        assert banner in running.output()
        imported = subprocess.run(
            [".venv/bin/python", "manage.py", "import_mappings", "demo/buildings.yaml"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert imported.returncode == 0, imported.stderr
        imported = subprocess.run(
            [".venv/bin/python", "manage.py", "import_schedule", "demo/schedules.yaml"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert imported.returncode == 0, imported.stderr
        mapped = subprocess.run(  # Pillow makes the map the size Telegram shows: a runtime dependency
            [".venv/bin/python", "manage.py", "set_map", "1", "demo/shevchenka-1-map.png"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert mapped.returncode == 0 and "image/png" in mapped.stdout, mapped.stderr
        assert served.get_json("/api/v1/public/sections/1/2/schedule")["group"] == "3.2"
        assert b"BEGIN:VEVENT" in fetch(f"{root}/api/v1/public/sections/1/2/schedule.ics?api_key={READ_KEY}")[2]
        assert served.get_json("/api/v1/ready")["checks"] == {
            "database": "ok",
            "broker": "ok",
            "detector": "ok",
            "sender": "ok",
        }
        # What the web renders lazily: the OpenAPI schema and docs, the admin, a collected static file.
        assert fetch(f"{root}/api/v1/schema/")[0] == 200
        assert fetch(f"{root}/api/v1/docs/")[0] == 200
        assert b"csrfmiddlewaretoken" in fetch(f"{root}/admin/login/")[2]
        status, content_type, _ = fetch(f"{root}/static/admin/css/base.css")
        assert (status, content_type.split(";")[0]) == (200, "text/css")

        def heartbeat() -> None:
            reply = firmware_post(
                port, {"api_key": WRITE_KEY, "building_id": 1, "section_id": 2, "sensor_uuid": "runtime-1"}
            )
            assert reply.startswith(b"HTTP/1.1 200 "), reply

        card = resident.send("/start place_1_2", timeout=30)  # the poster's deep link: subscribed at once
        assert "Section 2" in card.params["text"]
        telegram.wait_for(lambda: notices("🏠"), timeout=30)
        assert "📅" in notices("🏠")[0]  # the status card, with its schedule line
        contacts = resident.send("/contacts", timeout=30)
        assert contacts.method == "sendPhoto" and "Ivan, duty electrician" in contacts.params["caption"]

        def state() -> str:
            return served.get_json("/api/v1/public/buildings/1/status")["sections"][1]["state"]

        heartbeat()  # the section is seen for the first time: up, and nobody is told
        assert state() == "up"

        # Silence: the worker's beat finds the sensor past its deadline, the sender tells the resident.
        telegram.wait_for(lambda: notices("🔌 Power is off in Section 2"), timeout=60)
        assert state() == "down"

        heartbeat()
        assert state() == "up"
        telegram.wait_for(lambda: notices("💡 Power is back in Section 2"), timeout=60)

        assert len(notices("🔌")) == 1 and len(notices("💡")) == 1, telegram.texts(resident.id)

        # A board of section 1 that keeps an MQTT connection, through `make run`'s subscriber.
        resident.send("/start place_1_1", timeout=30)
        board = Board(urlsplit(mosquitto).port or 1883, f"runtime-mqtt-{secrets.token_hex(3)}")
        for _ in range(100):
            board.heartbeat({"api_key": WRITE_KEY, "building_id": 1, "section_id": 1})
            if served.get_json("/api/v1/public/buildings/1/status")["sections"][0]["state"] == "up":
                break
            time.sleep(0.2)
        time.sleep(3.5)  # a will counts after silence
        board.vanish()  # the power dies with it
        telegram.wait_for(lambda: notices("🔌 Power is off in Section 1"), timeout=60)
        board.forget()
