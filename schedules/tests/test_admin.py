"""Operators add and correct the file source's days in the admin, and see what Yasno's
address look-up found; a polled source's days are read-only."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest

from schedules.models import AddressLookup, ScheduleChange, ScheduleDay, Source

pytestmark = pytest.mark.django_db

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
DAYS = "/admin/schedules/scheduleday/"


@pytest.fixture(autouse=True)
def morning(time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV), tick=False)


def test_an_operator_adds_a_day_and_corrects_it_and_residents_hear_of_the_correction(admin_client):
    response = admin_client.post(
        f"{DAYS}add/",
        {"group": "3.1", "date": "2026-12-04", "status": "applies", "off_text": "08:00-12:00, 18:00-24:00"},
    )
    assert response.status_code == 302, response.content
    day = ScheduleDay.objects.get()
    assert (day.source, day.off) == (Source.FILE, [[480, 720], [1080, 1440]])
    response = admin_client.post(f"{DAYS}{day.pk}/change/", {"status": "applies", "off_text": "09:00-12:00"})
    assert response.status_code == 302, response.content
    assert ScheduleDay.objects.get().off == [[540, 720]]
    assert list(ScheduleChange.objects.values_list("kind", flat=True)) == ["changed"]


def test_a_bad_interval_in_the_admin_says_what_is_wrong(admin_client):
    response = admin_client.post(
        f"{DAYS}add/", {"group": "3.1", "date": "2026-12-04", "status": "applies", "off_text": "12:00-08:00"}
    )
    assert response.status_code == 200
    assert "ends before it starts" in response.content.decode()
    assert not ScheduleDay.objects.exists()


def test_a_polled_days_are_read_only(admin_client):
    day = ScheduleDay.objects.create(
        source=Source.YASNO,
        group="3.1",
        date=date(2026, 12, 3),
        status="none",
        timezone="Europe/Kyiv",
        fingerprint="x",
        fetched_at=datetime.now(KYIV),
        changed_at=datetime.now(KYIV),
    )
    response = admin_client.post(f"{DAYS}{day.pk}/change/", {"status": "emergency", "off_text": ""})
    assert response.status_code == 403
    assert admin_client.get(DAYS).status_code == 200


def test_an_address_that_resolved_to_nothing_is_listed_for_the_operator(admin_client, make_building):
    building = make_building(id=10, address="Nowhere Lane 5")
    AddressLookup.objects.create(
        building=building,
        street_query="Nowhere Lane",
        house_queries="5",
        problem="Yasno knows no street matching 'Nowhere Lane'",
        looked_up_at=datetime.now(KYIV),
    )
    page = admin_client.get("/admin/schedules/addresslookup/", {"group__isempty": "1"}).content.decode()
    assert "Yasno knows no street matching" in page
    assert "Schedules" in admin_client.get(f"/admin/buildings/building/{building.pk}/change/").content.decode()


def test_adding_a_day_that_exists_says_to_change_it_instead(admin_client):
    fields = {"group": "3.1", "date": "2026-12-04", "status": "none", "off_text": ""}
    assert admin_client.post(f"{DAYS}add/", fields).status_code == 302
    again = admin_client.post(f"{DAYS}add/", {**fields, "status": "applies", "off_text": "08:00-09:00"})
    assert "in the schedule already" in again.content.decode()
    assert ScheduleDay.objects.get().status == "none"
