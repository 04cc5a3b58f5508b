"""A process remembers the facts of the sensors it hears: a quiet heartbeat is one UPDATE
that checks them all, and whatever an operator or the detector changed in the meantime is
obeyed by the very next heartbeat."""

from __future__ import annotations

import pytest
from django.conf import settings

from buildings.models import Building
from sensors.models import PowerEvent, PowerState, Sensor

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(make_building, beat, django_assert_num_queries, rate_limits_in_memory):
    """Sensor "a" in London's section 2, heard often enough to be remembered."""
    make_building(id=10, name="London", sections=3)
    make_building(id=11, name="Leeds", sections=2)
    beat("a", section=2)
    beat("a", section=2)
    with django_assert_num_queries(1):  # remembered: the one UPDATE
        beat("a", section=2)
    return Sensor.objects.get(uuid="a")


def test_a_renamed_building_is_named_in_the_next_answer(heard, beat):
    Building.objects.filter(pk=10).update(name="Greater London")
    assert beat("a", section=2).json()["building"] == "Greater London"


def test_a_changed_default_section_takes_the_next_heartbeat_without_one(heard, post_heartbeat):
    for _ in range(2):  # "b" sends no section: the default, 1, remembered
        assert post_heartbeat({"building_id": 10, "sensor_uuid": "b"}).json()["section_id"] == 1
    Building.objects.filter(pk=10).update(default_section=3)
    answer = post_heartbeat({"building_id": 10, "sensor_uuid": "b"}).json()
    assert answer["section_id"] == 3 and Sensor.objects.get(uuid="b").section.number == 3


def test_a_fewer_sections_building_refuses_a_section_it_no_longer_has(heard, post_heartbeat):
    Building.objects.filter(pk=10).update(section_count=1)
    response = post_heartbeat({"building_id": 10, "section_id": 2, "sensor_uuid": "a"})
    assert response.status_code == 400 and response.json()["message"] == "section_id must be integer 1..1"


def test_an_unpinned_sensor_follows_the_firmware_again(heard, beat, make_sensor):
    Sensor.objects.filter(pk=heard.pk).update(canonical=True)
    beat("a", section=1)
    assert Sensor.objects.get(pk=heard.pk).section.number == 2  # pinned: stays
    beat("a", section=1)
    Sensor.objects.filter(pk=heard.pk).update(canonical=False)
    assert beat("a", section=1).json()["section_id"] == 1
    assert Sensor.objects.get(pk=heard.pk).section.number == 1


def test_a_sensor_an_operator_moved_goes_where_the_firmware_says(heard, beat):
    Sensor.objects.filter(pk=heard.pk).update(section=heard.section.building.sections.get(number=3))
    assert beat("a", section=2).json()["section_id"] == 2
    assert Sensor.objects.get(pk=heard.pk).section.number == 2


def test_a_sensor_the_detector_took_offline_brings_power_back(heard, beat, elapse):
    elapse(settings.SENSOR_TIMEOUT_SEC + 10)
    assert not Sensor.objects.get(pk=heard.pk).online
    beat("a", section=2)
    assert Sensor.objects.get(pk=heard.pk).online
    assert PowerEvent.objects.filter(section=heard.section).values_list("state", flat=True).first() == PowerState.UP


def test_a_deleted_sensor_is_created_again(heard, beat):
    Sensor.objects.filter(pk=heard.pk).delete()
    beat("a", section=2)
    again = Sensor.objects.get(uuid="a")
    assert again.pk != heard.pk and again.section.number == 2


def test_a_uuid_an_operator_changed_is_a_new_sensor_to_the_next_heartbeat(heard, beat):
    renamed = Sensor.objects.get(pk=heard.pk)
    renamed.uuid = "renamed"
    renamed.save()
    beat("a", section=2)
    assert Sensor.objects.get(uuid="a").pk != heard.pk
    assert Sensor.objects.get(pk=heard.pk).last_heartbeat == renamed.last_heartbeat
