"""The heartbeat contract of the PowerBot seed, row by row (DESIGN.md, "Heartbeat")."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from conftest import READ_KEY, WRITE_KEY
from sensors.models import Sensor, WriteKey

pytestmark = pytest.mark.django_db

OK = {"building_id": 10, "section_id": 2, "sensor_uuid": "esp32-london-001"}


@pytest.fixture(autouse=True)
def london(make_building):
    return make_building(id=10, name="London", sections=3, default=1)


def error(response) -> str:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "error"
    return body["message"]


def test_accepted_heartbeat_answers_with_building_section_and_uuid(post_heartbeat):
    response = post_heartbeat(OK)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["building"] == "London"
    assert body["section_id"] == 2
    assert body["sensor_uuid"] == "esp32-london-001"
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    sensor = Sensor.objects.get()
    assert (sensor.section.building_id, sensor.section.number) == (10, 2)
    assert sensor.last_heartbeat == datetime.fromisoformat(body["timestamp"])
    assert sensor.last_ip == "127.0.0.1"


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"null", b"{", b"\xff\xfe\xfa"])
def test_body_that_is_not_a_json_object_is_invalid_json(post_heartbeat, raw):
    assert error(response := post_heartbeat(raw=raw)) == "Invalid JSON"
    assert response.status_code == 400


@pytest.mark.parametrize("key", ["wrong", "", None, 12345, WRITE_KEY.upper()])
def test_missing_or_wrong_key_is_401(post_heartbeat, key):
    response = post_heartbeat(raw=json.dumps({**OK, "api_key": key}).encode())
    assert response.status_code == 401
    assert error(response) == "Invalid API key"


def test_wrong_key_is_401_even_for_unknown_building_and_bad_fields(post_heartbeat):
    response = post_heartbeat({"building_id": "x", "sensor_uuid": 5, "api_key": "nope"})
    assert response.status_code == 401


def test_invalid_json_is_reported_before_a_wrong_key(post_heartbeat):
    response = post_heartbeat(raw=b"{oops", HTTP_X_API_KEY="wrong")
    assert response.status_code == 400
    assert error(response) == "Invalid JSON"


@pytest.mark.parametrize("building_id", ["10", 10.0, True, None, [10], {"id": 10}])
def test_building_id_must_be_an_integer(post_heartbeat, building_id):
    response = post_heartbeat({**OK, "building_id": building_id})
    assert response.status_code == 400
    assert error(response) == "building_id must be an integer"


@pytest.mark.parametrize("uuid", [None, 5, "", "   ", "x" * 65, ["a"], True])
def test_sensor_uuid_must_be_a_non_blank_string_of_at_most_64(post_heartbeat, uuid):
    payload = {**OK, "sensor_uuid": uuid}
    response = post_heartbeat(payload)
    assert response.status_code == 400
    assert error(response) == "sensor_uuid is required and must be a string"
    assert not Sensor.objects.exists()


def test_sensor_uuid_of_exactly_64_characters_is_accepted(post_heartbeat):
    assert post_heartbeat({**OK, "sensor_uuid": "u" * 64}).status_code == 200


def test_building_id_type_is_checked_before_sensor_uuid(post_heartbeat):
    response = post_heartbeat({"building_id": "x"})
    assert error(response) == "building_id must be an integer"


@pytest.mark.parametrize("building_id", [99, 0, -5, 2**31, 10**30])
def test_unknown_building_is_404(post_heartbeat, building_id):
    response = post_heartbeat({**OK, "building_id": building_id})
    assert response.status_code == 404
    assert error(response) == f"Building {building_id} not found"
    assert not Sensor.objects.exists()


@pytest.mark.parametrize("section_id", [0, 4, -1, 2**40, "2", 2.0, True, [2]])
def test_invalid_section_of_non_canonical_sensor_is_400(post_heartbeat, section_id):
    response = post_heartbeat({**OK, "section_id": section_id})
    assert response.status_code == 400
    assert error(response) == "section_id must be integer 1..3"
    assert not Sensor.objects.exists()


@pytest.mark.parametrize("field", ["name", "comment"])
@pytest.mark.parametrize("value", [5, True, ["x"], {"a": 1}])
def test_name_and_comment_must_be_strings(post_heartbeat, field, value):
    response = post_heartbeat({**OK, field: value})
    assert response.status_code == 400
    assert error(response) == f"{field} must be string"
    assert not Sensor.objects.exists()


def test_name_is_checked_before_comment(post_heartbeat):
    assert error(post_heartbeat({**OK, "name": 1, "comment": 2})) == "name must be string"


def test_name_and_comment_are_trimmed_and_cut_to_160(post_heartbeat):
    post_heartbeat({**OK, "name": "  Board A  ", "comment": "c" * 300})
    sensor = Sensor.objects.get()
    assert sensor.name == "Board A"
    assert sensor.comment == "c" * 160


def test_null_name_leaves_the_stored_name_alone(post_heartbeat):
    post_heartbeat({**OK, "name": "Board A"})
    post_heartbeat({**OK, "name": None})
    assert Sensor.objects.get().name == "Board A"


def test_unknown_extra_fields_are_accepted_and_kept_as_telemetry(post_heartbeat):
    payload = {**OK, "firmware_version": "1.4.2", "uptime": 3600, "rssi": -61, "nested": {"a": [1, 2]}}
    assert post_heartbeat(payload).status_code == 200
    sensor = Sensor.objects.get()
    assert sensor.firmware_version == "1.4.2"
    assert sensor.telemetry == {"firmware_version": "1.4.2", "uptime": 3600, "rssi": -61, "nested": {"a": [1, 2]}}
    assert "api_key" not in sensor.telemetry


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/x-www-form-urlencoded", "application/json"])
def test_body_is_json_whatever_the_content_type(post_heartbeat, content_type):
    raw = f'{{"api_key": "{WRITE_KEY}", "building_id": 10, "sensor_uuid": "a"}}'.encode()
    assert post_heartbeat(raw=raw, content_type=content_type).status_code == 200


def test_trailing_slash_is_accepted_without_redirect(client):
    body = json.dumps({**OK, "api_key": WRITE_KEY})
    assert client.post("/api/v1/heartbeat/", body, content_type="application/json").status_code == 200


def test_body_over_the_limit_is_413_and_writes_nothing(post_heartbeat):
    response = post_heartbeat({**OK, "comment": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in error(response)
    assert not Sensor.objects.exists()


@pytest.mark.parametrize("header", [{"HTTP_X_API_KEY": WRITE_KEY}, {"HTTP_AUTHORIZATION": f"Bearer {WRITE_KEY}"}])
def test_key_may_come_in_a_header(client, header):
    response = client.post("/api/v1/heartbeat", json.dumps(OK), content_type="application/json", **header)
    assert response.status_code == 200


def test_read_key_never_writes(post_heartbeat):
    response = post_heartbeat({**OK, "api_key": READ_KEY})
    assert response.status_code == 401
    assert not Sensor.objects.exists()


def test_key_created_in_the_admin_writes_and_stops_when_revoked(post_heartbeat, settings):
    settings.SENSOR_API_KEY = ""
    key = WriteKey(name="board 1")
    raw = key.set_new_key()
    key.save()
    assert post_heartbeat({**OK, "api_key": raw}).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    key.revoke()
    assert post_heartbeat({**OK, "api_key": raw}).status_code == 401


def test_key_scoped_to_one_sensor_refuses_others(post_heartbeat):
    key = WriteKey(name="board 1", sensor_uuid="ESP32-LONDON-001")
    raw = key.set_new_key()
    key.save()
    assert post_heartbeat({**OK, "api_key": raw}).status_code == 200
    response = post_heartbeat({**OK, "sensor_uuid": "esp32-other", "api_key": raw})
    assert response.status_code == 401
    assert error(response) == "Invalid API key"
    assert Sensor.objects.count() == 1


def test_keys_are_stored_hashed(db):
    key = WriteKey(name="board 1")
    raw = key.set_new_key()
    key.save()
    stored = WriteKey.objects.filter(pk=key.pk).values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert raw.startswith(key.prefix)


def test_forwarded_address_is_used_only_when_trusted(post_heartbeat, settings):
    post_heartbeat(OK, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert Sensor.objects.get().last_ip == "127.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    post_heartbeat(OK, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert Sensor.objects.get().last_ip == "198.51.100.7"


def test_body_without_api_key_is_401(post_heartbeat):
    response = post_heartbeat(raw=json.dumps(OK).encode())
    assert response.status_code == 401
    assert error(response) == "Invalid API key"


def test_deeply_nested_extra_field_is_dropped_not_refused(post_heartbeat):
    deep = "[" * 300 + "]" * 300
    raw = json.dumps({**OK, "api_key": WRITE_KEY}).encode()[:-1] + f', "deep": {deep}, "ok": 1}}'.encode()
    response = post_heartbeat(raw=raw)
    assert response.status_code == 200
    assert Sensor.objects.get().telemetry == {"ok": 1}


def test_nesting_beyond_what_json_can_parse_is_invalid_json(post_heartbeat):
    response = post_heartbeat(raw=b'{"x":' + b"[" * 2000 + b"]" * 2000 + b"}")
    assert response.status_code == 400
    assert error(response) == "Invalid JSON"


@pytest.mark.parametrize("raw_value", ['"a\\u0000b"', '"\\ud800"', "1e400", '{"k\\u0000": 1}'])
def test_extra_field_no_database_can_store_is_dropped_not_refused(post_heartbeat, raw_value):
    raw = json.dumps({**OK, "api_key": WRITE_KEY, "fine": "yes"}).encode()[:-1] + f', "odd": {raw_value}}}'.encode()
    assert post_heartbeat(raw=raw).status_code == 200
    assert Sensor.objects.get().telemetry == {"fine": "yes"}


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_constants_are_invalid_json(post_heartbeat, constant):
    assert error(post_heartbeat(raw=b'{"building_id": ' + constant + b"}")) == "Invalid JSON"


def test_nul_and_lone_surrogates_are_removed_from_name_and_comment(post_heartbeat):
    raw = json.dumps({**OK, "api_key": WRITE_KEY}).encode()[:-1] + b', "name": "Lob\\u0000by", "comment": "x\\udc00"}'
    assert post_heartbeat(raw=raw).status_code == 200
    sensor = Sensor.objects.get()
    assert (sensor.name, sensor.comment) == ("Lobby", "x?")


@pytest.mark.parametrize("uuid", ["a\u0000b", "a\nb", "\ud800"])
def test_unprintable_sensor_uuid_is_refused(post_heartbeat, uuid):
    raw = json.dumps({**OK, "api_key": WRITE_KEY, "sensor_uuid": uuid}).encode()
    assert error(post_heartbeat(raw=raw)) == "sensor_uuid is required and must be a string"


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/plain", "*/*", "image/png"])
def test_any_accept_header_gets_json(post_heartbeat, accept):
    response = post_heartbeat(OK, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_format_parameter_is_ignored(client):
    body = json.dumps({**OK, "api_key": WRITE_KEY})
    response = client.post("/api/v1/heartbeat?format=xml", body, content_type="application/json")
    assert response.status_code == 200


def test_scoped_key_is_checked_before_the_payload_fields(post_heartbeat):
    key = WriteKey(name="board 1", sensor_uuid="s1")
    raw = key.set_new_key()
    key.save()
    for payload in ({"building_id": "x", "sensor_uuid": "other"}, {"building_id": "x", "sensor_uuid": 5}):
        response = post_heartbeat({**payload, "api_key": raw})
        assert response.status_code == 401
        assert error(response) == "Invalid API key"
    assert error(post_heartbeat({"building_id": "x", "sensor_uuid": " S1 ", "api_key": raw})) == (
        "building_id must be an integer"
    )


def test_an_accepted_heartbeat_gets_the_same_answer_with_or_without_drfs_request_cycle(post_heartbeat, rf):
    """Accepted heartbeats skip DRF's request cycle (sensors.api); DRF's view answers any the
    quick path leaves, and both answers must be the same."""
    from sensors.api import HeartbeatView

    payload = {"api_key": WRITE_KEY, "building_id": 10, "section_id": 1, "sensor_uuid": "both-ways"}
    quick = post_heartbeat(payload)
    drf_view = HeartbeatView.as_view().__wrapped__  # type: ignore[attr-defined]  # the view under the quick path
    full = drf_view(rf.post("/api/v1/heartbeat", json.dumps(payload), content_type="application/json"))

    assert quick.status_code == full.status_code == 200
    assert quick["Allow"] == full["Allow"] and quick["Content-Type"] == full["Content-Type"]
    quick_body, full_body = quick.json(), json.loads(full.content)
    assert quick_body.pop("timestamp") < full_body.pop("timestamp")
    assert (
        quick_body == full_body == {"status": "ok", "building": "London", "section_id": 1, "sensor_uuid": "both-ways"}
    )


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"building_id": 10, "section_id": 1, "sensor_uuid": "q"}, {"HTTP_X_API_KEY": WRITE_KEY}),
        ({"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "q"}, {}),
        ({"building_id": 10, "sensor_uuid": "q"}, {"HTTP_AUTHORIZATION": f"Bearer {WRITE_KEY}"}),
    ],
)
def test_the_quick_path_takes_every_accepted_heartbeat(rf, body, headers):
    from sensors.api import _accepted_at_once

    response = _accepted_at_once(rf.post("/api/v1/heartbeat", json.dumps(body), content_type="text/plain", **headers))
    assert response is not None and response.status_code == 200
    assert Sensor.objects.filter(uuid="q").exists()


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b"", {}),
        (b"[1]", {}),
        (b'{"api_key": "wrong", "building_id": 10, "sensor_uuid": "q"}', {}),
        (b'{"building_id": 10, "sensor_uuid": "q"}', {"HTTP_X_API_KEY": READ_KEY}),
        (b'{"api_key": "%s", "building_id": 99, "sensor_uuid": "q"}' % WRITE_KEY.encode(), {}),
        (b'{"api_key": "%s", "building_id": 10, "section_id": 9, "sensor_uuid": "q"}' % WRITE_KEY.encode(), {}),
        (b'{"api_key": "%s", "building_id": 10, "sensor_uuid": "q", "name": 1}' % WRITE_KEY.encode(), {}),
        (
            b'{"api_key": "%s", "building_id": 10, "sensor_uuid": "q", "pad": "%s"}'
            % (WRITE_KEY.encode(), b"x" * 5000),
            {},
        ),
    ],
)
def test_the_quick_path_leaves_every_refusal_to_drf_and_writes_nothing(rf, raw, headers):
    from sensors.api import _accepted_at_once

    assert _accepted_at_once(rf.post("/api/v1/heartbeat", raw, content_type="application/json", **headers)) is None
    assert not Sensor.objects.filter(uuid="q").exists()


@pytest.mark.parametrize("length", ["\u00b2", "0" * 4300 + "52", "-1", "x"])
def test_a_content_length_that_is_no_number_is_invalid_json_not_a_crash(post_heartbeat, length):
    body = {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "odd-length"}
    response = post_heartbeat(body, CONTENT_LENGTH=length)
    assert response.status_code == 400 and response.json()["message"] == "Invalid JSON"
    assert response["Allow"] == "POST, OPTIONS"
