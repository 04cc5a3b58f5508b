"""Who may place a board: with SENSOR_NEW_NEEDS_APPROVAL a new uuid counts for nothing until
an operator approves or pins it; a key scoped to one board binds it to its section."""

from __future__ import annotations

import pytest

from sensors.models import PowerEvent, Sensor, WriteKey
from sensors.tests.history import recorded

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_board_awaits_approval_and_counts_once_approved(admin_client, make_building, beat, settings):
    settings.SENSOR_NEW_NEEDS_APPROVAL = True
    make_building(id=10, sections=2)
    beat("new-1")  # accepted: the board is recorded...
    sensor = Sensor.objects.get(uuid="new-1")
    assert (sensor.enabled, sensor.awaiting_approval) == (False, True)
    assert not PowerEvent.objects.filter(state="up").exists()  # ...but tells nobody the power is on
    listing = admin_client.get("/admin/sensors/sensor/", {"awaiting_approval__exact": "1"}).content.decode()
    assert "new-1" in listing
    admin_client.post("/admin/sensors/sensor/", {"action": "approve", "_selected_action": [sensor.pk]})
    sensor.refresh_from_db()
    assert (sensor.enabled, sensor.awaiting_approval) == (True, False) and recorded(10, 1) == "up"


def test_pinning_a_board_awaiting_approval_approves_it(admin_client, make_building, beat, settings):
    settings.SENSOR_NEW_NEEDS_APPROVAL = True
    make_building(id=10, sections=1)
    beat("new-1")
    admin_client.post("/admin/sensors/sensor/", {"action": "pin", "_selected_action": [Sensor.objects.get().pk]})
    assert Sensor.objects.filter(enabled=True, canonical=True, awaiting_approval=False).count() == 1
    assert recorded(10, 1) == "up"


def test_by_default_a_new_board_counts_at_once_as_the_seed_did(make_building, beat):
    make_building(id=10, sections=1)
    beat("new-1")
    assert Sensor.objects.get().enabled and recorded(10, 1) == "up"


def test_a_board_with_its_own_key_is_bound_to_its_first_section(make_building, post_heartbeat):
    make_building(id=10, sections=2)
    key = WriteKey(name="board 1", sensor_uuid="board-1")
    raw = key.set_new_key()
    key.save()
    for section in (1, 2):  # the key read out of the board moves nothing
        response = post_heartbeat({"api_key": raw, "building_id": 10, "section_id": section, "sensor_uuid": "board-1"})
        assert response.status_code == 200
    sensor = Sensor.objects.get()
    assert sensor.canonical and sensor.section.number == 1
    assert post_heartbeat({"building_id": 10, "section_id": 2, "sensor_uuid": "free-1"}).status_code == 200
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "free-1"})  # the fleet key's board moves
    assert Sensor.objects.get(uuid="free-1").section.number == 1
