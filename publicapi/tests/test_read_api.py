"""The read-only API contract (DESIGN.md, "Read-only API") and its newer endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from conftest import READ_KEY, WRITE_KEY
from publicapi.models import ReadKey

pytestmark = pytest.mark.django_db

LIST = "/api/v1/public/sensors/status"


@pytest.fixture
def fleet(make_building, make_sensor):
    make_building(id=10, name="London", sections=2, address="1 Baker St")
    now = timezone.now()
    up = make_sensor("up", section=1, last_heartbeat=now, online_since=now - timedelta(hours=1))
    down = make_sensor("down", section=2, last_heartbeat=now - timedelta(hours=2))
    make_sensor("off", section=2, last_heartbeat=now, enabled=False)
    return up, down


def message(response) -> str:
    return response.json()["message"]


def test_sensor_list_shows_active_sensors_with_silent_ones_down(client, fleet):
    up, down = fleet
    response = client.get(LIST, HTTP_X_API_KEY=READ_KEY)
    assert response.status_code == 200
    assert response.json() == {"sensors": [{"id": up.pk, "is_up": True}, {"id": down.pk, "is_up": False}]}


@pytest.mark.parametrize(
    "how",
    [
        {"HTTP_X_API_KEY": READ_KEY},
        {"HTTP_AUTHORIZATION": f"Bearer {READ_KEY}"},
        {"QUERY_STRING": f"api_key={READ_KEY}"},
    ],
)
def test_key_is_accepted_in_header_bearer_or_query(client, fleet, how):
    assert client.get(LIST, **how).status_code == 200


def test_header_key_wins_over_the_query_key(client, fleet):
    response = client.get(LIST, QUERY_STRING=f"api_key={READ_KEY}", HTTP_X_API_KEY="wrong")
    assert response.status_code == 401


@pytest.mark.parametrize("key", ["", "wrong", WRITE_KEY])
def test_missing_wrong_or_write_key_is_unauthorized(client, fleet, key):
    response = client.get(LIST, HTTP_X_API_KEY=key)
    assert response.status_code == 401
    assert message(response) == "Unauthorized"


def test_503_when_no_read_key_is_configured(client, fleet, settings):
    settings.SENSOR_PUBLIC_API_KEY = ""
    response = client.get(LIST, HTTP_X_API_KEY="anything")
    assert response.status_code == 503
    assert message(response) == "Public sensor API key is not configured"


def test_read_key_created_in_the_admin_reads_until_revoked(client, fleet, settings):
    settings.SENSOR_PUBLIC_API_KEY = ""
    key = ReadKey(name="city portal")
    raw = key.set_new_key()
    key.save()
    assert client.get(LIST, HTTP_X_API_KEY=raw).status_code == 200
    key.revoke()
    assert client.get(LIST, HTTP_X_API_KEY=raw).status_code == 503


def test_one_sensor_status(client, fleet):
    up, down = fleet
    assert client.get(f"/api/v1/public/sensors/{up.pk}/status", HTTP_X_API_KEY=READ_KEY).json() == {
        "id": up.pk,
        "is_up": True,
    }
    assert client.get(f"/api/v1/public/sensors/{down.pk}/status", HTTP_X_API_KEY=READ_KEY).json() == {
        "id": down.pk,
        "is_up": False,
    }


@pytest.mark.parametrize("raw_id", ["0", "-1", "abc", "1.5", "%C2%B2", " 1"])
def test_sensor_id_must_be_a_positive_integer(client, fleet, raw_id):
    response = client.get(f"/api/v1/public/sensors/{raw_id}/status", HTTP_X_API_KEY=READ_KEY)
    assert response.status_code == 400
    assert message(response) == "sensor_id must be a positive integer"


@pytest.mark.parametrize("raw_id", ["999999", str(2**63), "9" * 40])
def test_unknown_sensor_is_404(client, fleet, raw_id):
    response = client.get(f"/api/v1/public/sensors/{raw_id}/status", HTTP_X_API_KEY=READ_KEY)
    assert response.status_code == 404
    assert message(response) == "Sensor not found"


def test_disabled_sensor_is_not_found(client, fleet):
    from sensors.models import Sensor

    disabled = Sensor.objects.get(uuid="off")
    assert client.get(f"/api/v1/public/sensors/{disabled.pk}/status", HTTP_X_API_KEY=READ_KEY).status_code == 404


def test_auth_is_checked_before_the_sensor_id(client, fleet):
    assert client.get("/api/v1/public/sensors/abc/status").status_code == 401


def test_buildings_list(client, fleet):
    response = client.get("/api/v1/public/buildings/", HTTP_X_API_KEY=READ_KEY)
    assert response.json() == {
        "buildings": [
            {
                "id": 10,
                "name": "London",
                "address": "1 Baker St",
                "latitude": None,
                "longitude": None,
                "timezone": "Europe/Kyiv",
                "section_count": 2,
                "default_section": 1,
            }
        ]
    }


def test_building_status_shows_each_section(client, fleet):
    _up, _ = fleet
    response = client.get("/api/v1/public/buildings/10/status", HTTP_X_API_KEY=READ_KEY)
    assert response.status_code == 200
    sections = response.json()["sections"]
    assert [(s["number"], s["state"], s["sensors_online"], s["sensors_total"]) for s in sections] == [
        (1, "up", 1, 1),
        (2, "down", 0, 1),
    ]
    assert sections[0]["since"] is not None


@pytest.mark.parametrize(("raw_id", "status"), [("11", 404), (str(2**31), 404), ("x", 400)])
def test_building_status_bad_ids(client, fleet, raw_id, status):
    assert client.get(f"/api/v1/public/buildings/{raw_id}/status", HTTP_X_API_KEY=READ_KEY).status_code == status


def test_read_endpoints_never_accept_writes(client, fleet):
    assert client.post(LIST, {}, HTTP_X_API_KEY=READ_KEY).status_code == 405


def test_health_answers_without_a_key(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["service"] == "powerbot-api" and body["timestamp"]


def test_openapi_schema_documents_every_endpoint_and_matches_responses(client, fleet):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = set(schema["paths"])
    assert {
        "/api/v1/heartbeat",
        "/api/v1/health",
        "/api/v1/public/sensors/status",
        "/api/v1/public/sensors/{sensor_id}/status",
        "/api/v1/public/buildings",
        "/api/v1/public/buildings/{building_id}/status",
    } <= {p.rstrip("/") for p in paths} | paths
    components = schema["components"]["schemas"]
    # The sensor list is built without a serializer; its documented shape must match.
    listed = client.get(LIST, HTTP_X_API_KEY=READ_KEY).json()
    assert set(listed) == set(components["SensorStatusList"]["properties"])
    assert set(listed["sensors"][0]) == set(components["SensorStatus"]["properties"])
    building = client.get("/api/v1/public/buildings/10/status", HTTP_X_API_KEY=READ_KEY).json()
    assert set(building) == set(components["BuildingStatus"]["properties"])
    assert set(building["sections"][0]) == set(components["SectionStatus"]["properties"])
    assert {"sensorKey", "readKey"} <= set(schema["components"]["securitySchemes"])


def test_docs_page_renders_with_local_assets(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_sensor_list_is_shared_for_the_cache_window_then_refreshed(client, fleet, settings, time_travel, make_sensor):
    from django.core.cache import cache

    cache.clear()
    settings.PUBLIC_API_CACHE_SEC = 5
    first = client.get(LIST, HTTP_X_API_KEY=READ_KEY).json()
    make_sensor("new", last_heartbeat=timezone.now())
    assert client.get(LIST, HTTP_X_API_KEY=READ_KEY).json() == first
    time_travel(seconds=6)
    assert len(client.get(LIST, HTTP_X_API_KEY=READ_KEY).json()["sensors"]) == len(first["sensors"]) + 1
    cache.clear()
