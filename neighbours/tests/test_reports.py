"""Neighbours' answers on heating and water: one per resident, section and kind, the latest
winning; counted since the section's last power change and for NEIGHBOUR_REPORT_HOURS."""

from __future__ import annotations

import pytest
from django.utils import timezone

from buildings.models import Building, Section
from conftest import READ_KEY
from neighbours import services
from neighbours.models import Kind, Report
from neighbours.services import Tally
from sensors.models import PowerCause, PowerState, SectionPower

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(make_building, time_travel) -> Section:
    make_building(id=10, name="London", sections=2)
    return Section.objects.get(building_id=10, number=1)


def test_the_latest_answer_of_a_resident_wins(section):
    services.answer(1, section, Kind.HEATING, False)
    services.answer(1, section, Kind.HEATING, True)
    services.answer(2, section, Kind.HEATING, False)
    services.answer(1, section, Kind.WATER, False)
    assert services.tallies([section]) == {section.pk: {Kind.HEATING: Tally(1, 1), Kind.WATER: Tally(0, 1)}}


def test_answers_given_before_the_last_power_change_no_longer_count(section, time_travel):
    services.answer(1, section, Kind.HEATING, False)
    time_travel(minutes=5)
    SectionPower.objects.create(section=section, state=PowerState.DOWN, since=timezone.now(), cause=PowerCause.TIMEOUT)
    services.answer(2, section, Kind.HEATING, True)
    assert services.tallies([section]) == {section.pk: {Kind.HEATING: Tally(1, 0)}}


def test_answers_older_than_the_setting_no_longer_count(section, time_travel, settings):
    services.answer(1, section, Kind.WATER, True)
    time_travel(hours=5, minutes=59)
    assert services.tallies([section])[section.pk][Kind.WATER] == Tally(1, 0)
    time_travel(minutes=2)
    assert services.tallies([section]) == {}
    settings.NEIGHBOUR_REPORT_HOURS = 12
    assert services.tallies([section])[section.pk][Kind.WATER] == Tally(1, 0)


def test_each_section_counts_its_own(section):
    other = Section.objects.get(building_id=10, number=2)
    services.answer(1, section, Kind.WATER, True)
    services.answer(1, other, Kind.WATER, False)
    assert services.tallies([section, other]) == {
        section.pk: {Kind.WATER: Tally(1, 0)},
        other.pk: {Kind.WATER: Tally(0, 1)},
    }


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_leave_one_answer(section, at_once):
    at_once(lambda: services.answer(7, section, Kind.HEATING, True), 8)
    assert Report.objects.count() == 1


def test_the_read_api_gives_each_sections_answers(client, section):
    services.answer(1, section, Kind.HEATING, False)
    services.answer(2, section, Kind.HEATING, True)
    services.answer(2, section, Kind.WATER, True)
    body = client.get("/api/v1/public/buildings/10/status", HTTP_X_API_KEY=READ_KEY).json()
    assert [entry["reports"] for entry in body["sections"]] == [
        {"heating": {"yes": 1, "no": 1}, "water": {"yes": 1, "no": 0}},
        {"heating": {"yes": 0, "no": 0}, "water": {"yes": 0, "no": 0}},
    ]


def test_the_schema_describes_the_answers(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    section = schema["components"]["schemas"]["SectionStatus"]["properties"]["reports"]
    assert section["allOf"] == [{"$ref": "#/components/schemas/NeighbourReports"}]
    assert set(schema["components"]["schemas"]["NeighbourReports"]["properties"]) == {"heating", "water"}


def test_a_section_removed_takes_its_answers_with_it(section):
    services.answer(1, Section.objects.get(building_id=10, number=2), Kind.WATER, True)
    building = Building.objects.get(pk=10)
    building.section_count = 1
    building.save()
    assert not Report.objects.exists()


def test_operators_see_the_answers_per_building(admin_client, section):
    services.answer(1, section, Kind.HEATING, False)
    page = admin_client.get("/admin/neighbours/report/", {"now": "yes", "section__building__id__exact": "10"})
    assert page.status_code == 200 and "London / Section 1" in page.content.decode()
    assert "London / Section 1" not in admin_client.get("/admin/neighbours/report/", {"now": "no"}).content.decode()


def test_an_operator_deletes_a_building_its_residents_answered_about(admin_client, section):
    services.answer(1, section, Kind.HEATING, True)
    response = admin_client.post("/admin/buildings/building/10/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Building.objects.exists() and not Report.objects.exists()
