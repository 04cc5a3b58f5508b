"""Mapping rules: how a heartbeat's reported building/section become the sensor's section."""

from __future__ import annotations

import pytest

from sensors.models import Sensor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def buildings(make_building):
    make_building(id=10, name="London", sections=3, default=2)
    make_building(id=11, name="Paris", sections=2, default=1)


def location(uuid: str) -> tuple[int, int]:
    sensor = Sensor.objects.by_uuid(uuid).select_related("section").get()
    return sensor.section.building_id, sensor.section.number


def test_uuid_is_trimmed_and_matched_ignoring_case_keeping_first_spelling(post_heartbeat):
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "  ESP32-Lobby "})
    response = post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "esp32-lobby"})
    assert response.json()["sensor_uuid"] == "esp32-lobby"
    assert Sensor.objects.get().uuid == "ESP32-Lobby"


def test_missing_or_null_section_goes_to_the_default_section(post_heartbeat):
    assert post_heartbeat({"building_id": 10, "sensor_uuid": "a"}).json()["section_id"] == 2
    assert post_heartbeat({"building_id": 10, "section_id": None, "sensor_uuid": "b"}).json()["section_id"] == 2
    assert location("a") == location("b") == (10, 2)


def test_non_canonical_sensor_follows_what_the_firmware_reports(post_heartbeat):
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "mover"})
    post_heartbeat({"building_id": 11, "section_id": 2, "sensor_uuid": "mover"})
    assert location("mover") == (11, 2)


def test_canonical_sensor_ignores_reported_building(post_heartbeat, make_sensor):
    make_sensor("pinned", building=10, section=3, canonical=True)
    response = post_heartbeat({"building_id": 11, "section_id": 1, "sensor_uuid": "PINNED"})
    assert response.status_code == 200
    assert response.json() | {"timestamp": None} == {
        "status": "ok",
        "timestamp": None,
        "building": "London",
        "section_id": 3,
        "sensor_uuid": "PINNED",
    }
    assert location("pinned") == (10, 3)


def test_canonical_sensor_ignores_unknown_building_and_invalid_section(post_heartbeat, make_sensor):
    make_sensor("pinned", building=10, section=3, canonical=True)
    response = post_heartbeat({"building_id": 999, "section_id": 42, "sensor_uuid": "pinned"})
    assert response.status_code == 200
    assert location("pinned") == (10, 3)


def test_environment_map_pins_the_building_and_keeps_a_valid_section(post_heartbeat, settings):
    settings.SENSOR_UUID_BUILDING_MAP = {"env-pinned": 11}
    response = post_heartbeat({"building_id": 10, "section_id": 2, "sensor_uuid": "ENV-Pinned"})
    assert response.json()["building"] == "Paris"
    assert location("env-pinned") == (11, 2)


def test_environment_map_sends_an_invalid_section_to_the_default(post_heartbeat, settings):
    settings.SENSOR_UUID_BUILDING_MAP = {"env-pinned": 11}
    response = post_heartbeat({"building_id": 10, "section_id": 3, "sensor_uuid": "env-pinned"})
    assert response.status_code == 200
    assert location("env-pinned") == (11, 1)


def test_environment_map_to_unknown_building_is_404_naming_the_mapped_id(post_heartbeat, settings):
    settings.SENSOR_UUID_BUILDING_MAP = {"env-pinned": 77}
    response = post_heartbeat({"building_id": 10, "sensor_uuid": "env-pinned"})
    assert response.status_code == 404
    assert response.json()["message"] == "Building 77 not found"


def test_rejected_heartbeat_leaves_the_sensor_untouched(post_heartbeat):
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "a", "name": "first"})
    before = Sensor.objects.values().get()
    post_heartbeat({"building_id": 11, "section_id": 1, "sensor_uuid": "a", "name": 5})
    post_heartbeat({"building_id": 11, "section_id": 9, "sensor_uuid": "a"})
    assert Sensor.objects.values().get() == before


def test_public_id_is_never_reused_after_a_delete(post_heartbeat):
    post_heartbeat({"building_id": 10, "sensor_uuid": "a"})
    post_heartbeat({"building_id": 10, "sensor_uuid": "b"})
    highest = Sensor.objects.get(uuid="b").pk
    Sensor.objects.get(uuid="b").delete()
    post_heartbeat({"building_id": 10, "sensor_uuid": "c"})
    assert Sensor.objects.get(uuid="c").pk > highest


def test_non_ascii_uuids_match_ignoring_case_on_every_database(post_heartbeat):
    post_heartbeat({"building_id": 10, "sensor_uuid": "ДАТЧИК-Ä1"})
    post_heartbeat({"building_id": 10, "sensor_uuid": "датчик-ä1"})
    assert Sensor.objects.count() == 1
    assert Sensor.objects.get().uuid == "ДАТЧИК-Ä1"
