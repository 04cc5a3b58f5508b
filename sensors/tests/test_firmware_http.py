"""Heartbeats as the field firmware sends them, against the app under real gunicorn."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import WRITE_KEY, ServedApp, firmware_post


@pytest.fixture(scope="module")
def app(served_app: ServedApp) -> ServedApp:
    result = served_app.manage("import_mappings", "-", stdin="buildings:\n  - {id: 10, name: London, sections: 3}\n")
    assert result.returncode == 0, result.stderr
    return served_app


def test_firmware_heartbeat_succeeds_and_shows_in_the_read_api(app):
    reply = firmware_post(
        app.port, {"api_key": WRITE_KEY, "building_id": 10, "section_id": 2, "sensor_uuid": "esp32-fw-1"}
    )
    status_line, _, rest = reply.partition(b"\r\n")
    assert b" 200 " in status_line  # what the firmware checks
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["section_id"] == 2
    building = app.get_json("/api/v1/public/buildings/10/status")
    assert [s["state"] for s in building["sections"]] == ["unknown", "up", "unknown"]
    assert {"id": 1, "is_up": True} in app.get_json("/api/v1/public/sensors/status")["sensors"]


def test_firmware_sees_no_200_for_a_wrong_key(app):
    reply = firmware_post(app.port, {"api_key": "old", "building_id": 10, "sensor_uuid": "esp32-fw-1"})
    assert b" 200 " not in reply.partition(b"\r\n")[0]
    assert b" 401 " in reply.partition(b"\r\n")[0]


def test_concurrent_heartbeats_on_sqlite_with_two_workers_all_succeed(app):
    payloads = [
        {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": f"esp32-load-{n % 50}", "section_id": 1 + n % 3}
        for n in range(300)
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda p: firmware_post(app.port, p), payloads))
    statuses = [reply.partition(b"\r\n")[0] for reply in replies]
    assert all(b" 200 " in status for status in statuses), [s for s in statuses if b" 200 " not in s][:3]
    exported = json.loads(app.manage("export_mappings", "--format", "json").stdout)
    load_sensors: list[str] = [s["uuid"] for s in exported["sensors"] if s["uuid"].startswith("esp32-load-")]
    # Racing first heartbeats of one uuid still create exactly one sensor.
    assert sorted(load_sensors) == sorted({str(p["sensor_uuid"]) for p in payloads})
