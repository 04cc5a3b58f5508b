"""The public status page without a browser: what it says, to whom, in which language, and
the document it refreshes itself from. The browser tests are in test_in_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import services as alerts
from buildings.models import Section
from schedules import services as schedules
from schedules.days import local_midnight
from schedules.models import DayStatus, Source
from schedules.yasno import DayPlan
from sensors.history import stretches_from
from sensors.models import PowerState
from sensors.power import set_section_state
from web.status import PAGE_FRESH_SEC, PAGE_MAX_AGE_SEC, clipped, day_bars

pytestmark = pytest.mark.django_db

KYIV = ZoneInfo("Europe/Kyiv")
UP, DOWN = PowerState.UP, PowerState.DOWN


def states(html: str) -> dict[int, str]:
    """{section number: data-state} as the page's elements carry them."""
    return {int(n): s for n, s in re.findall(r'data-section="(\d+)" data-state="(\w+)"', html)}


def page(client, building: int = 10, **headers: str) -> str:
    response = client.get(reverse("status-building", args=[building]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def document(client, building: int = 10) -> dict[str, Any]:
    response = client.get(reverse("status-document", args=[building]))
    assert response.status_code == 200
    return response.json()


def script(section: Section, *changes: tuple[PowerState, datetime]) -> None:
    """A history as operators' corrections at the given instants: the real engine records them."""
    for state, at in changes:
        set_section_state(section, state, "scripted", "test", now=at)


@pytest.mark.parametrize(
    "path",
    [
        reverse("status-building", args=[10]),
        reverse("status-building", args=[10]) + "?part=sections",
        reverse("status-document", args=[10]),
        reverse("status-building", args=[11]),
        reverse("status-building", args=[99999999999 % 10**10]),
    ],
)
def test_a_building_not_marked_public_has_no_page(client, make_building, beat, path):
    make_building(id=10, public=False)
    beat("a", 10, 1)
    assert client.get(path).status_code == 404


def test_the_list_shows_public_buildings_only_with_how_many_sections_have_power(client, make_building, beat):
    make_building(id=10, name="London", sections=3, public=True)
    make_building(id=11, name="Hidden", sections=1)
    beat("a", 10, 1)
    beat("b", 10, 2)
    html = client.get(reverse("status-index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "London" in html and "Hidden" not in html
    assert "power on in 2 of 3 sections" in html
    assert reverse("status-building", args=[10]) in html


def test_the_page_says_each_sections_state_and_since_when_without_javascript(client, make_building, beat, time_travel):
    make_building(id=10, sections=3, public=True, timezone="Europe/Kyiv")
    beat("a", 10, 1)
    beat("b", 10, 2)
    time_travel(minutes=200)
    set_section_state(Section.objects.get(building_id=10, number=2), DOWN, "cut", "test")
    time_travel(minutes=5)
    html = page(client, HTTP_ACCEPT_LANGUAGE="en")
    assert states(html) == {1: "up", 2: "down", 3: "unknown"}
    first = html[html.index('data-section="1"') : html.index('data-section="2"')]
    assert "Power on" in first and "3 h 25 min" in first
    second = html[html.index('data-section="2"') : html.index('data-section="3"')]
    assert "Power off" in second and "5 min" in second


def test_the_page_speaks_the_browsers_language_and_the_switch_overrides_it(client, make_building, beat):
    make_building(id=10, sections=1, public=True)
    beat("a", 10, 1)
    assert "Power on" in page(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    english = page(client, HTTP_ACCEPT_LANGUAGE="uk")
    assert "Світло є" in english and '<a href="?lang=en" hreflang="en" lang="en">English</a>' in english
    switched = client.get(reverse("status-building", args=[10]) + "?lang=uk", HTTP_ACCEPT_LANGUAGE="en")
    assert "Світло є" in switched.content.decode() and switched.cookies["django_language"].value == "uk"
    assert "Cookie" in switched["Vary"]
    later = page(client, HTTP_ACCEPT_LANGUAGE="en")  # remembered: no ?lang= needed any more
    assert "Світло є" in later and '<html lang="uk">' in later
    assert "Світло є" in client.get(reverse("status-building", args=[10]) + "?part=sections").content.decode()


def test_a_language_that_is_not_ours_is_ignored(client, make_building):
    make_building(id=10, sections=1, public=True)
    answer = client.get(reverse("status-index") + "?lang=de", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200 and "django_language" not in answer.cookies
    assert "Power in our buildings" in answer.content.decode()


def test_the_document_follows_a_scripted_history(client, make_building, time_machine):
    make_building(id=10, sections=1, public=True, timezone="Europe/Kyiv")
    section = Section.objects.get(building_id=10)
    now = datetime(2026, 12, 3, 18, 0, tzinfo=KYIV)
    script(
        section,
        (UP, now - timedelta(days=2, hours=6)),  # 1 Dec 12:00
        (DOWN, now - timedelta(hours=30)),  # 2 Dec 12:00
        (UP, now - timedelta(hours=20)),  # 2 Dec 22:00
        (DOWN, now - timedelta(hours=4)),  # 3 Dec 14:00
        (UP, now - timedelta(hours=2)),  # 3 Dec 16:00
    )
    time_machine.move_to(now, tick=False)
    found = document(client)
    (card,) = found["sections"]
    assert (card["number"], card["state"]) == (1, "up")
    assert datetime.fromisoformat(card["since"]) == now - timedelta(hours=2)
    assert [
        (s["state"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in card["last_24h"]
    ] == [
        (DOWN, now - timedelta(hours=24), now - timedelta(hours=20)),
        (UP, now - timedelta(hours=20), now - timedelta(hours=4)),
        (DOWN, now - timedelta(hours=4), now - timedelta(hours=2)),
        (UP, now - timedelta(hours=2), now),
    ]
    assert card["uptime_24h"] == round(18 / 24, 4)
    bars = {bar["date"]: (bar["up"], bar["down"], bar["unknown"]) for bar in card["last_30d"]}
    assert len(bars) == 30 and min(bars) == "2026-11-04" and max(bars) == "2026-12-03"
    hour = 3600
    assert bars["2026-11-30"] == (0, 0, 24 * hour)
    assert bars["2026-12-01"] == (12 * hour, 0, 12 * hour)
    assert bars["2026-12-02"] == (14 * hour, 10 * hour, 0)
    assert bars["2026-12-03"] == (16 * hour, 2 * hour, 0)  # today, so far
    assert card["uptime_30d"] == round(42 / 54, 4)
    assert found["building"] == {"id": 10, "name": "London", "address": "", "timezone": "Europe/Kyiv"}
    assert found["alert"] is None  # no alert source configured


def test_the_timeline_on_the_page_is_positioned_by_time(client, make_building, time_machine):
    make_building(id=10, sections=1, public=True, timezone="Europe/Kyiv")
    now = datetime(2026, 12, 3, 18, 0, tzinfo=KYIV)
    script(Section.objects.get(building_id=10), (UP, now - timedelta(days=3)), (DOWN, now - timedelta(hours=6)))
    time_machine.move_to(now, tick=False)
    html = page(client, HTTP_ACCEPT_LANGUAGE="en")
    segments = re.findall(r'class="segment (\w+)" style="left: ([\d.]+)%; width: ([\d.]+)%"[^>]*title="([^"]+)"', html)
    assert [(state, float(left), float(width)) for state, left, width, _ in segments] == [
        ("up", 0.0, 75.0),
        ("down", 75.0, 25.0),
    ]
    assert segments[1][3] == "12:00–18:00 · Power off · 6 h"


def test_planned_outages_and_the_alert_state_are_on_the_page(client, make_building, settings, time_machine):
    settings.ALERTS_DEMO = True
    make_building(id=10, sections=1, public=True, timezone="Europe/Kyiv", schedule_group="3.1")
    time_machine.move_to(datetime(2026, 12, 3, 10, 35, tzinfo=UTC), tick=False)
    today = date(2026, 12, 3)
    schedules.record(
        Source.FILE,
        [
            DayPlan("3.1", today, DayStatus.APPLIES, [[8 * 60, 12 * 60]]),
            DayPlan("3.1", today + timedelta(days=1), DayStatus.NONE, []),
        ],
        "Europe/Kyiv",
    )
    alerts.poll()  # the demo source: an alert the first ten minutes of each half hour
    html = page(client, HTTP_ACCEPT_LANGUAGE="en")
    assert "Air-raid alert since" in html
    assert re.search(r"<dt>Today</dt><dd>off 08:00–12:00 \(4 hours\)</dd>", html)
    assert re.search(r"<dt>Tomorrow</dt><dd>no outages planned</dd>", html)
    (card,) = document(client)["sections"]
    assert card["planned"] == [
        {"date": "2026-12-03", "status": "applies", "off": [["08:00", "12:00"]]},
        {"date": "2026-12-04", "status": "none", "off": []},
    ]


def test_the_document_changes_its_version_with_what_it_says_not_with_time(client, make_building, beat, time_travel):
    make_building(id=10, sections=2, public=True)
    beat("a", 10, 1)
    first = document(client)
    time_travel(seconds=PAGE_MAX_AGE_SEC + 60)
    beat("a", 10, 1)
    again = document(client)
    assert again["generated_at"] != first["generated_at"]  # built again: only time has passed
    assert again["version"] == first["version"]
    set_section_state(Section.objects.get(building_id=10, number=1), DOWN, "cut", "test")
    time_travel(seconds=PAGE_FRESH_SEC + 1)
    assert document(client)["version"] != first["version"]


def test_the_document_is_built_once_and_reused_while_the_power_holds(
    client, make_building, beat, time_travel, django_assert_num_queries
):
    make_building(id=10, sections=2, public=True)
    beat("a", 10, 1)
    first = document(client)
    with django_assert_num_queries(0):
        for _ in range(5):
            document(client)
    time_travel(seconds=PAGE_FRESH_SEC + 1)
    with django_assert_num_queries(1):  # is anything new? no: the same document
        assert document(client)["generated_at"] == first["generated_at"]
    set_section_state(Section.objects.get(building_id=10, number=1), DOWN, "cut", "test")
    assert document(client)["sections"][0]["state"] == "up"  # still the kept one, for a few seconds
    time_travel(seconds=PAGE_FRESH_SEC + 1)
    assert document(client)["sections"][0]["state"] == "down"


def test_a_kept_document_is_built_again_after_a_while_for_the_moving_timeline(client, make_building, beat, time_travel):
    make_building(id=10, sections=1, public=True)
    beat("a", 10, 1)
    first = document(client)
    time_travel(seconds=PAGE_MAX_AGE_SEC + 1)
    again = document(client)
    assert again["generated_at"] != first["generated_at"] and again["version"] == first["version"]


def test_a_building_made_private_is_404_within_seconds(client, make_building, beat, time_travel):
    building = make_building(id=10, sections=1, public=True)
    beat("a", 10, 1)
    document(client)
    building.public = False
    building.save()
    time_travel(seconds=PAGE_FRESH_SEC + 1)
    assert client.get(reverse("status-document", args=[10])).status_code == 404


def test_the_document_is_cacheable_and_answers_304_when_unchanged(client, make_building, beat):
    make_building(id=10, sections=1, public=True)
    beat("a", 10, 1)
    path = reverse("status-document", args=[10])
    first = client.get(path)
    assert set(first["Cache-Control"].split(", ")) == {"public", f"max-age={PAGE_FRESH_SEC}"}
    assert first["ETag"] == f'W/"{first.json()["version"]}"'
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    cache.clear()  # another server process, which built its own copy later
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    set_section_state(Section.objects.get(building_id=10, number=1), DOWN, "cut", "test")
    cache.clear()
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([UP, DOWN, PowerState.UNKNOWN]), st.integers(min_value=1, max_value=3 * 24 * 60)),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=40 * 24 * 60),
)
def test_day_bars_count_each_days_seconds_as_clipping_day_by_day_does(changes, gap):
    now = datetime(2026, 12, 3, 15, 20, tzinfo=KYIV)
    start = now - timedelta(minutes=gap + sum(minutes for _, minutes in changes))
    starts, at = [], start
    for state, minutes in changes:
        starts.append((state, at))
        at += timedelta(minutes=minutes)
    stretches = stretches_from(starts, now) if starts else []
    bars = day_bars(stretches, now, KYIV)
    for bar in bars:
        begin = local_midnight(bar.day, KYIV)
        end = min(local_midnight(bar.day + timedelta(days=1), KYIV), now)
        naive = {
            state: sum(s.seconds for s in clipped(stretches, begin, end) if s.state == state) for state in (UP, DOWN)
        }
        assert (bar.up, bar.down) == (naive[UP], naive[DOWN])
        assert bar.up + bar.down + bar.unknown == int((end - begin).total_seconds())


def test_the_sections_part_is_what_the_page_swaps_in(client, make_building, beat):
    make_building(id=10, sections=2, public=True)
    beat("a", 10, 1)
    part = client.get(reverse("status-building", args=[10]) + "?part=sections").content.decode()
    assert states(part) == {1: "up", 2: "unknown"}
    assert "<html" not in part and f'<ul class="sections" data-version="{document(client)["version"]}"' in part
    assert re.search(r'data-generated="[0-9T:.+-]+"', part)  # what the page compares documents with


def test_the_sections_are_drawn_once_per_change_and_language_whoever_asks(
    client, make_building, beat, time_travel, django_assert_num_queries
):
    make_building(id=10, sections=2, public=True)
    beat("a", 10, 1)
    part = reverse("status-building", args=[10]) + "?part=sections"
    first = client.get(part, HTTP_ACCEPT_LANGUAGE="en").content
    whole = reverse("status-building", args=[10])
    with django_assert_num_queries(4):  # each: is it public, and has its power changed? then nothing is drawn
        assert client.get(part, HTTP_ACCEPT_LANGUAGE="en").content == first
        assert states(client.get(whole, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == {1: "up", 2: "unknown"}
    assert "Світло є" in client.get(part, HTTP_ACCEPT_LANGUAGE="uk").content.decode()  # each language its own
    set_section_state(Section.objects.get(building_id=10, number=2), DOWN, "cut", "test")
    assert states(client.get(part, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == {1: "up", 2: "down"}  # at once
    time_travel(seconds=PAGE_MAX_AGE_SEC + 1)
    assert client.get(part, HTTP_ACCEPT_LANGUAGE="en").content != first  # drawn again as the timelines move


def test_a_kept_part_of_a_building_made_private_goes_within_seconds(client, make_building, beat, time_travel):
    building = make_building(id=10, sections=1, public=True)
    beat("a", 10, 1)
    path = reverse("status-building", args=[10]) + "?part=sections"
    assert client.get(path).status_code == 200
    building.public = False
    building.save()
    time_travel(seconds=PAGE_FRESH_SEC + 1)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_pages_are_read_only(make_building, method):
    client = Client(enforce_csrf_checks=True)  # as a browser meets them: 405, not CSRF's 403
    make_building(id=10, sections=1, public=True)
    for path in (reverse("status-index"), reverse("status-building", args=[10]), reverse("status-document", args=[10])):
        assert getattr(client, method)(path).status_code == 405
