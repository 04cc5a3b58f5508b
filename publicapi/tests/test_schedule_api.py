"""The schedule over the read API: today and tomorrow, the iCalendar feed, and planned
against actual in the statistics."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import pytest
from icalendar import Calendar

from buildings.models import Section
from conftest import READ_KEY
from schedules.files import import_file
from sensors.models import PowerCause, PowerEvent, PowerState

pytestmark = pytest.mark.django_db

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
SCHEDULE = "/api/v1/public/sections/10/1/schedule"


def kyiv(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=KYIV)


@pytest.fixture
def planned(make_building, time_machine):
    time_machine.move_to(kyiv(23), tick=False)
    make_building(id=10, sections=2, timezone="Europe/Kyiv", schedule_group="3.1")
    import_file(
        """
days:
  - {group: "3.1", date: 2026-12-03, off: ["08:00-12:00", "18:00-22:00"]}
  - {group: "3.1", date: 2026-12-04, off: ["00:00-02:00", "22:00-24:00"]}
""",
        "yaml",
    )


def test_the_schedule_of_today_and_tomorrow(client, planned):
    body = client.get(SCHEDULE, HTTP_X_API_KEY=READ_KEY).json()
    assert body["group"] == "3.1" and body["source"] == "file"
    assert body["fetched_at"].startswith("2026-12-03T23:00:00")
    assert body["days"] == [
        {
            "date": "2026-12-03",
            "status": "applies",
            "off": [{"start": "08:00", "end": "12:00"}, {"start": "18:00", "end": "22:00"}],
        },
        {
            "date": "2026-12-04",
            "status": "applies",
            "off": [{"start": "00:00", "end": "02:00"}, {"start": "22:00", "end": "24:00"}],
        },
    ]


def test_a_section_without_a_group_has_unknown_days(client, planned):
    from buildings.models import Building

    Building.objects.filter(pk=10).update(schedule_group="")
    body = client.get(SCHEDULE, HTTP_X_API_KEY=READ_KEY).json()
    assert body == {
        "group": None,
        "source": None,
        "fetched_at": None,
        "days": [
            {"date": "2026-12-03", "status": "unknown", "off": []},
            {"date": "2026-12-04", "status": "unknown", "off": []},
        ],
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [(SCHEDULE, 401), ("/api/v1/public/sections/10/9/schedule", 404), ("/api/v1/public/sections/x/1/schedule", 400)],
)
def test_the_schedule_refuses_as_the_rest_of_the_api(client, planned, path, status):
    key = {} if status == 401 else {"HTTP_X_API_KEY": READ_KEY}
    response = client.get(path, **key)
    assert response.status_code == status and response.json()["status"] == "error"


def test_the_calendar_feed_has_each_planned_outage_once_across_midnight(client, planned):
    response = client.get(f"{SCHEDULE}.ics", {"api_key": READ_KEY})
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = [
        (e.decoded("dtstart").astimezone(KYIV), e.decoded("dtend").astimezone(KYIV)) for e in calendar.walk("VEVENT")
    ]
    assert events == [
        (kyiv(8), kyiv(12)),
        (kyiv(18), kyiv(22)),
        (kyiv(0, day=4), kyiv(2, day=4)),
        (kyiv(22, day=4), kyiv(0, day=5)),
    ]
    assert len({str(e["uid"]) for e in calendar.walk("VEVENT")}) == 4
    assert client.get(f"{SCHEDULE}.ics").status_code == 401
    assert client.get(f"{SCHEDULE}.ics", {"api_key": READ_KEY}, HTTP_ACCEPT="text/calendar").status_code == 200


def test_stats_hold_a_scripted_day_against_its_schedule(client, planned):
    section = Section.objects.get(building_id=10, number=1)
    script = [
        (kyiv(0), PowerState.UP),
        (kyiv(8, 5), PowerState.DOWN),
        (kyiv(11, 30), PowerState.UP),
        (kyiv(14), PowerState.DOWN),
        (kyiv(15), PowerState.UP),  # not in the schedule
        (kyiv(17, 50), PowerState.DOWN),
        (kyiv(22, 30), PowerState.UP),
    ]
    PowerEvent.objects.bulk_create(
        PowerEvent(section=section, sequence=n, state=state, at=at, cause=PowerCause.TIMEOUT)
        for n, (at, state) in enumerate(script, start=1)
    )
    body = client.get("/api/v1/public/sections/10/1/stats", HTTP_X_API_KEY=READ_KEY).json()
    assert body["schedule"] == {
        "group": "3.1",
        "planned_off_seconds": 8 * 3600,
        "actual_off_seconds": (3 * 60 + 25 + 60 + 4 * 60 + 40) * 60,
        "unplanned_off_seconds": (60 + 10 + 30) * 60,  # 14:00-15:00, 17:50-18:00, 22:00-22:30
        "outages_outside_schedule": 1,
    }
    assert body["total_outage_seconds"] == body["schedule"]["actual_off_seconds"]


def test_the_schema_lists_the_schedule_endpoints(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    schedule = paths["/api/v1/public/sections/{building_id}/{section}/schedule/"]["get"]
    assert set(schedule["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1:]) == {
        "SectionSchedule"
    }
    assert "/api/v1/public/sections/{building_id}/{section}/schedule.ics/" in paths


def test_a_building_in_another_zone_sees_its_own_days(client, make_building, time_machine):
    time_machine.move_to(kyiv(10), tick=False)
    make_building(id=11, sections=1, timezone="Europe/London", schedule_group="3.1")
    import_file(
        """
days:
  - {group: "3.1", date: 2026-12-03, status: none}
  - {group: "3.1", date: 2026-12-04, off: ["00:00-02:00"]}
""",
        "yaml",
    )
    body = client.get("/api/v1/public/sections/11/1/schedule", HTTP_X_API_KEY=READ_KEY).json()
    assert body["days"] == [  # Kyiv's 00:00-02:00 on the 4th is London's 22:00-24:00 on the 3rd
        {"date": "2026-12-03", "status": "applies", "off": [{"start": "22:00", "end": "24:00"}]},
        {"date": "2026-12-04", "status": "unknown", "off": []},  # Kyiv's 5th, not known yet, is part of it
    ]


def test_the_calendar_feed_answers_with_a_trailing_slash_too(client, planned):
    assert client.get(f"{SCHEDULE}.ics/", {"api_key": READ_KEY}).status_code == 200
    assert client.get(f"{SCHEDULE}.ics/").json()["status"] == "error"
