"""Read-after-write under real gunicorn (two workers): the read API answers from the current
state, and conditional requests answer 304 while nothing changed."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from conftest import READ_KEY, WRITE_KEY, ServedApp, firmware_post

LIST = "/api/v1/public/sensors/status"


@pytest.fixture(scope="module")
def app(served_app: ServedApp) -> ServedApp:
    result = served_app.manage("import_mappings", "-", stdin="buildings:\n  - {id: 10, name: London, sections: 3}\n")
    assert result.returncode == 0, result.stderr
    return served_app


def heartbeat(app: ServedApp, uuid: str) -> None:
    reply = firmware_post(app.port, {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": uuid})
    assert reply.startswith(b"HTTP/1.1 200 "), reply


def get(app: ServedApp, path: str, etag: str | None = None) -> tuple[int, str, bytes]:
    headers = {"X-API-Key": READ_KEY, **({"If-None-Match": etag} if etag else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{app.port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("ETag", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("ETag", ""), exc.read()


def test_a_first_heartbeat_is_listed_by_the_very_next_read_from_any_worker(app):
    for n in range(12):  # two workers: reads land on both
        before = len(app.get_json(LIST)["sensors"])
        heartbeat(app, f"raw-{n}")
        listed = app.get_json(LIST)["sensors"]
        assert len(listed) == before + 1
        assert {"id": max(s["id"] for s in listed), "is_up": True} in listed
        assert app.get_json(f"/api/v1/public/sensors/{max(s['id'] for s in listed)}/status")["is_up"] is True


@pytest.mark.parametrize("path", [LIST, "/api/v1/public/buildings/10/status"])
def test_an_unchanged_answer_is_304_and_a_changed_one_200(app, path):
    heartbeat(app, "etag-base")
    status, etag, body = get(app, path)
    assert status == 200 and etag and body

    assert get(app, path, etag)[:3:2] == (304, b"")  # nothing changed: no body
    heartbeat(app, f"etag-new-{path.count('/')}")  # a sensor the answer did not have
    status, new_etag, body = get(app, path, etag)
    assert status == 200 and body and new_etag != etag


def test_a_sensors_answer_has_an_etag_and_a_wrong_key_is_never_304(app):
    heartbeat(app, "etag-one")
    path = f"/api/v1/public/sensors/{max(s['id'] for s in app.get_json(LIST)['sensors'])}/status"
    status, etag, _ = get(app, path)
    assert status == 200 and etag
    assert get(app, path, etag)[0] == 304
    request = urllib.request.Request(
        f"http://127.0.0.1:{app.port}{path}", headers={"X-API-Key": "wrong", "If-None-Match": etag}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
