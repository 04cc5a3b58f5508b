"""Section history and statistics over the read API, and the recorded state it publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from conftest import READ_KEY
from sensors.models import PowerCause, PowerEvent, PowerState, SectionPower
from sensors.power import detect_offline

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/public/sections/10/1/events"
STATS = "/api/v1/public/sections/10/1/stats"


@pytest.fixture
def history(make_building) -> list[PowerEvent]:
    make_building(id=10, sections=2, timezone="Europe/Kyiv")
    section = Section.objects.get(building_id=10, number=1)
    start = timezone.now() - timedelta(hours=5)
    return PowerEvent.objects.bulk_create(
        PowerEvent(section=section, sequence=n, state=state, at=start + timedelta(hours=n), cause=cause)
        for n, (state, cause) in enumerate(
            [
                (PowerState.UP, PowerCause.INITIAL),
                (PowerState.DOWN, PowerCause.TIMEOUT),
                (PowerState.UP, PowerCause.HEARTBEAT),
                (PowerState.DOWN, PowerCause.TIMEOUT),
            ],
            start=1,
        )
    )


def get(client, path: str, **params: str):
    return client.get(path, params, HTTP_X_API_KEY=READ_KEY)


def test_events_are_listed_oldest_first_a_page_at_a_time(client, history):
    first = get(client, EVENTS, limit="3").json()
    assert [(e["sequence"], e["state"], e["cause"]) for e in first["results"]] == [
        (1, "up", "initial"),
        (2, "down", "timeout"),
        (3, "up", "heartbeat"),
    ]
    assert first["results"][1]["previous_state"] == "" and first["previous"] is None
    second = client.get(first["next"], HTTP_X_API_KEY=READ_KEY).json()
    assert [e["sequence"] for e in second["results"]] == [4] and second["next"] is None


def test_events_since_a_time(client, history):
    body = get(client, EVENTS, since=history[2].at.isoformat()).json()
    assert [e["sequence"] for e in body["results"]] == [3, 4]


@pytest.mark.parametrize("since", ["yesterday", "0001-01-01T00:00:00"])
def test_a_bad_since_is_a_clear_400(client, history, since):
    response = get(client, EVENTS, since=since)
    assert response.status_code == 400
    assert response.json()["status"] == "error" and "since" in response.json()["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/sections/10/3/events",
        "/api/v1/public/sections/99/1/stats",
        "/api/v1/public/sections/10/99999999999999999999/stats",
    ],
)
def test_an_unknown_section_is_404(client, history, path):
    response = get(client, path)
    assert response.status_code == 404 and response.json()["message"] == "Section not found"


def test_history_needs_the_read_key(client, history):
    assert client.get(EVENTS).status_code == 401
    assert client.get(STATS, HTTP_X_API_KEY="wrong").status_code == 401


def test_stats_of_the_week(client, history):
    body = get(client, STATS, period="week").json()
    assert body["building_id"] == 10 and body["section"] == 1 and body["period"] == "week"
    assert body["current_state"] == "down" and body["previous_state"] == "up"
    assert body["previous_seconds"] == 3600 and body["outages"] >= 1


def test_stats_default_to_the_day_and_refuse_other_periods(client, history):
    assert get(client, STATS).json()["period"] == "day"
    response = get(client, STATS, period="year")
    assert response.status_code == 400 and "period" in response.json()["message"]


def test_the_schema_lists_the_history_endpoints(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    events = paths["/api/v1/public/sections/{building_id}/{section}/events/"]["get"]
    assert {p["name"] for p in events["parameters"]} >= {"since", "cursor", "limit"}
    stats = paths["/api/v1/public/sections/{building_id}/{section}/stats/"]["get"]
    assert {p["name"] for p in stats["parameters"]} >= {"period"}


def test_building_status_shows_the_recorded_state_during_a_hold(client, make_building, make_sensor):
    make_building(id=10, sections=1)
    make_sensor("a", section=1, last_heartbeat=timezone.now() - timedelta(hours=1))
    detect_offline()
    section = Section.objects.get(building_id=10, number=1)
    SectionPower.objects.create(section=section, state=PowerState.UNKNOWN, cause=PowerCause.GUARD)
    body = client.get("/api/v1/public/buildings/10/status", HTTP_X_API_KEY=READ_KEY).json()
    assert [(s["state"], s["sensors_online"], s["sensors_total"]) for s in body["sections"]] == [("unknown", 0, 1)]
