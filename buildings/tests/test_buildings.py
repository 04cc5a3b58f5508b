"""Buildings own their sections: numbered 1..N, one default, never silently dropped."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from buildings.models import Building
from conftest import building_form

pytestmark = pytest.mark.django_db


def numbers(building: Building) -> list[int]:
    return list(building.sections.values_list("number", flat=True))


def test_sections_follow_the_section_count(make_building):
    building = make_building(sections=3)
    assert numbers(building) == [1, 2, 3]
    building.section_count = 5
    building.save()
    assert numbers(building) == [1, 2, 3, 4, 5]
    building.section_count = 2
    building.save()
    assert numbers(building) == [1, 2]


def test_default_section_must_be_one_of_the_sections(make_building):
    building = make_building(sections=2)
    building.default_section = 3
    with pytest.raises(ValidationError, match="between 1 and 2"):
        building.full_clean()


def test_database_refuses_a_default_section_out_of_range(db):
    with pytest.raises(IntegrityError):
        Building.objects.create(id=1, name="A", section_count=2, default_section=3)


def test_sections_with_sensors_cannot_be_removed(make_building, make_sensor):
    building = make_building(sections=3)
    make_sensor("a", section=3)
    building.section_count = 2
    with pytest.raises(ValidationError, match=r"sections \[3\] still have sensors"):
        building.full_clean()


def test_admin_edit_changes_section_count_and_names(admin_client, make_building):
    building = make_building(sections=3)
    sections = list(building.sections.all())
    form = building_form(section_count="2", **{"sections-TOTAL_FORMS": "3", "sections-INITIAL_FORMS": "3"})
    for index, section in enumerate(sections):
        form |= {
            f"sections-{index}-id": section.pk,
            f"sections-{index}-building": building.pk,
            f"sections-{index}-name": f"Entrance {index + 1}",
        }
    response = admin_client.post(f"/admin/buildings/building/{building.pk}/change/", form)
    assert response.status_code == 302, response.content
    assert list(building.sections.values_list("number", "name")) == [(1, "Entrance 1"), (2, "Entrance 2")]


def test_building_timezone_defaults_to_the_server(make_building, settings):
    assert make_building().tz.key == settings.TIME_ZONE
    assert make_building(id=11, timezone="Europe/London").tz.key == "Europe/London"


@pytest.mark.django_db(transaction=True)
def test_a_section_with_history_subscribers_or_a_broadcast_is_kept(admin_client, make_building, make_sensor, beat):
    from notifications.models import Broadcast, Subscriber, Subscription
    from sensors.mappings import MappingError, import_document
    from sensors.models import PowerEvent, Sensor

    building = make_building(sections=3)
    make_sensor("a", section=3)
    beat("a", section=3)
    Sensor.objects.filter(uuid="a").update(section=building.sections.get(number=1))  # moved: only history is left
    section_3 = building.sections.get(number=3)
    Subscription.objects.create(subscriber=Subscriber.objects.create(chat_id=7), section=section_3)
    Broadcast.objects.create(text="water off", section=building.sections.get(number=2))
    with pytest.raises(MappingError) as raised:
        import_document({"buildings": [{"id": 10, "name": "London", "sections": 1}]})
    problem = str(raised.value)
    assert "sections [3] still have power events" in problem and "sections [3] still have subscriptions" in problem
    assert "sections [2] still have broadcasts" in problem
    page = admin_client.post(f"/admin/buildings/building/{building.pk}/change/", building_form())
    assert page.status_code == 200 and "still have power events" in page.content.decode()
    assert building.sections.count() == 3 and PowerEvent.objects.filter(section=section_3).exists()


@pytest.mark.django_db
def test_a_section_that_came_into_use_after_the_check_is_still_kept(make_building, make_sensor):
    building = make_building(sections=3)
    building.section_count = 2
    building.full_clean()  # nothing refers to section 3 yet...
    make_sensor("a", section=3)  # ...then a board reports there
    with pytest.raises(ValidationError, match=r"sections \[3\] still have sensors"):
        building.save()
    assert building.sections.count() == 3
