"""An operator moving, disabling, deleting or aliasing a sensor (admin, mapping file):
the sections it left and joined are recorded again at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sensors.mappings import import_document
from sensors.models import PowerEvent, Sensor, SensorAlias
from sensors.tests.history import recorded

pytestmark = pytest.mark.django_db(transaction=True)  # recorded once the change commits

CHANGE = "/admin/sensors/sensor/{}/change/"


@pytest.fixture
def up_in_section_1(make_building, make_sensor, beat):
    """A pinned sensor powering section 1 of building 10; section 2 has a sensor silent for an hour."""
    building = make_building(id=10, sections=2)
    sensor = make_sensor("a", section=1, canonical=True)
    make_sensor("b", section=2)
    beat("a")
    beat("b", section=2)
    long_ago = timezone.now() - timedelta(hours=1)
    Sensor.objects.filter(uuid="b").update(online=False, offline_after=long_ago, last_heartbeat=long_ago)  # silent
    return building, sensor


def edit(admin_client, sensor: Sensor, **changes) -> None:
    form = {
        "uuid": sensor.uuid,
        "name": "",
        "comment": "",
        "enabled": "on",
        "section": sensor.section_id,
        "canonical": "on",
        "frozen_is_up": "",
        "frozen_until_0": "",
        "frozen_until_1": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
    } | changes
    form = {key: value for key, value in form.items() if value is not None}
    response = admin_client.post(CHANGE.format(sensor.pk), form)
    assert response.status_code == 302, response.content


def test_moving_a_sensor_in_the_admin_records_the_section_it_left_and_the_one_it_joined(admin_client, up_in_section_1):
    building, sensor = up_in_section_1
    edit(admin_client, sensor, section=building.sections.get(number=2).pk)
    assert recorded(10, 1) == "unknown"  # no sensor left: not "up" with 0/0 sensors
    assert recorded(10, 2) == "up"
    event = PowerEvent.objects.filter(section__number=1).latest("sequence")
    assert (event.cause, event.reason) == ("operator", "sensor moved")


def test_disabling_and_deleting_a_sensor_record_its_section(admin_client, up_in_section_1):
    _, sensor = up_in_section_1
    edit(admin_client, sensor, enabled=None)
    assert recorded(10, 1) == "unknown"
    edit(admin_client, sensor, enabled="on")
    assert recorded(10, 1) == "up"
    response = admin_client.post(f"/admin/sensors/sensor/{sensor.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert recorded(10, 1) == "unknown"


def test_an_alias_added_and_removed_records_the_section_it_counts_for(up_in_section_1):
    building, sensor = up_in_section_1
    alias = SensorAlias.objects.create(sensor=sensor, section=building.sections.get(number=2))
    assert recorded(10, 2) == "up"
    alias.delete()
    assert recorded(10, 2) == "down"


def test_moving_a_sensor_in_a_mapping_file_records_both_sections(up_in_section_1):
    import_document({"sensors": [{"uuid": "a", "building": 10, "section": 2, "canonical": True}]})
    assert (recorded(10, 1), recorded(10, 2)) == ("unknown", "up")


def test_replacing_a_board_tells_nobody_the_power_went_off(admin_client, up_in_section_1, make_sensor):
    _building, sensor = up_in_section_1
    make_sensor("new", section=1)  # added in the admin, never heard from yet
    response = admin_client.post(f"/admin/sensors/sensor/{sensor.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert recorded(10, 1) == "unknown"  # no sign of power either way: nobody is told "off"
    assert not PowerEvent.objects.filter(section__number=1, state="down").exists()
