"""Logs: one line per important event, JSON under LOG_FORMAT=json, and never a secret."""

from __future__ import annotations

import json
import urllib.request

import pytest

from conftest import WRITE_KEY, firmware_post, project_env, run_manage
from testsupport.serving import gunicorn

BOT_TOKEN = "123456789:AAFakeTokenForTheLogTest_abcdef"
# JSON escapes quotes, backslashes and non-ASCII: the escaped form must not get through either.
SECRET_KEY = 'log-test-sécret"key\\x'
# Run in a separate process so the real LOGGING of the settings applies, as in production.
SCRIPT = f"""
import logging
from django.test import Client
client = Client()
post = lambda body: client.post("/api/v1/heartbeat", data=body, content_type="application/json")
post('{{"api_key": "a-wrong-key-0001", "building_id": 10, "sensor_uuid": "log-a"}}')
post('{{"api_key": "{WRITE_KEY}", "building_id": 10, "section_id": 9, "sensor_uuid": "log-a"}}')
post('{{"api_key": "{WRITE_KEY}", "building_id": 10, "section_id": 1, "sensor_uuid": "log-a"}}')
logging.getLogger("telegram.ext").error("request failed: https://api.telegram.org/bot{BOT_TOKEN}/getUpdates")
logging.getLogger("powerbot").warning("configured with %s", "{BOT_TOKEN} and {WRITE_KEY}")
from django.conf import settings
logging.getLogger("powerbot").warning("the secret key is %s", settings.SECRET_KEY)
"""


@pytest.fixture
def run_logged(test_database_url, make_building):
    make_building(id=10, sections=2)

    def run(log_format: str) -> str:
        env = project_env(
            test_database_url,
            LOG_FORMAT=log_format,
            LOG_LEVEL="INFO",
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            SECRET_KEY=SECRET_KEY,
        )
        result = run_manage(env, "shell", "-c", SCRIPT)
        assert result.returncode == 0, result.stderr
        return result.stderr

    return run


def test_json_logs_are_one_object_a_line_with_the_events_fields(run_logged):
    lines = [json.loads(line) for line in run_logged("json").splitlines()]

    rejected = [line for line in lines if line.get("event") == "heartbeat_rejected"]
    assert [(line["reason"], line["status"]) for line in rejected] == [("invalid_key", 401), ("bad_section", 400)]
    assert rejected[0]["sensor_uuid"] == "log-a" and rejected[0]["level"] == "WARNING"
    changed = [line for line in lines if line.get("event") == "power_changed"]
    assert [(line["building"], line["section"], line["state"], line["cause"]) for line in changed] == [
        (10, 1, "up", "initial")
    ]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)


def test_plain_logs_carry_the_event_and_its_fields(run_logged):
    text = run_logged("plain")

    assert "heartbeat_rejected reason=invalid_key status=401 " in text
    assert "power_changed building=10 section=1 state=up previous=- cause=initial " in text


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_no_key_or_token_reaches_a_log_line(run_logged, log_format):
    text = run_logged(log_format)

    assert "the secret key is [redacted]" in text
    for secret in (BOT_TOKEN, WRITE_KEY, "AAFakeToken", "sécret", "s\\u00e9cret"):
        assert secret not in text


@pytest.mark.parametrize("log_heartbeats", ["true", "false"])
def test_accepted_heartbeats_can_be_left_out_of_the_access_log(
    test_database_url, make_building, tmp_path, log_heartbeats
):
    make_building(id=10, sections=2)
    env = project_env(test_database_url, WEB_ACCESS_LOG_HEARTBEATS=log_heartbeats, WEB_WORKERS="1")
    with gunicorn(env, tmp_path / "gunicorn.log", "-c", "powerbot/gunicorn.conf.py") as served:
        accepted = firmware_post(served.port, {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "log-ok"})
        refused = firmware_post(served.port, {"api_key": "wrong-key-123", "building_id": 10, "sensor_uuid": "log-no"})
        assert accepted.startswith(b"HTTP/1.1 200 ") and refused.startswith(b"HTTP/1.1 401 ")
        slash = urllib.request.Request(
            f"http://127.0.0.1:{served.port}/api/v1/heartbeat/",
            data=json.dumps({"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "log-slash"}).encode(),
        )
        with urllib.request.urlopen(slash, timeout=10) as answer:  # the URL the seed also served
            assert answer.status == 200
    log = served.log()

    assert '"GET /api/v1/health" 200' in log
    assert '"POST /api/v1/heartbeat" 401' in log  # a rejection is always logged
    assert ('"POST /api/v1/heartbeat" 200' in log) is (log_heartbeats == "true")
    assert ('"POST /api/v1/heartbeat/" 200' in log) is (log_heartbeats == "true")
