"""Section statistics from the power log, in the building's own calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from buildings.models import Section
from sensors.history import Period, period_start, section_stats, timeline
from sensors.models import PowerCause, PowerEvent, PowerState, SectionPower

pytestmark = pytest.mark.django_db

KYIV = ZoneInfo("Europe/Kyiv")
UP, DOWN, UNKNOWN = PowerState.UP, PowerState.DOWN, PowerState.UNKNOWN
HOUR = 3600


@pytest.fixture
def section(make_building) -> Section:
    make_building(id=10, sections=1, timezone="Europe/Kyiv")
    return Section.objects.get(building_id=10, number=1)


def kyiv(day: int, hour: float, month: int = 11) -> datetime:
    return datetime(2026, month, day, tzinfo=KYIV) + timedelta(hours=hour)


def log(section: Section, *changes: tuple[PowerState, datetime, PowerCause]) -> None:
    PowerEvent.objects.bulk_create(
        PowerEvent(section=section, sequence=n, state=state, at=at, cause=cause)
        for n, (state, at, cause) in enumerate(changes, start=1)
    )


def test_a_day_with_one_outage(section):
    log(
        section,
        (UP, kyiv(23, 0.5), PowerCause.INITIAL),
        (DOWN, kyiv(23, 10), PowerCause.TIMEOUT),
        (UP, kyiv(23, 12), PowerCause.HEARTBEAT),
    )
    stats = section_stats(section, Period.DAY, now=kyiv(23, 18))
    assert stats.start == kyiv(23, 0)
    assert (stats.up_seconds, stats.down_seconds, stats.unknown_seconds) == (15.5 * HOUR, 2 * HOUR, 0.5 * HOUR)
    assert stats.uptime_share == round(15.5 / 17.5, 4)
    assert (stats.outages, stats.total_outage_seconds, stats.longest_outage_seconds) == (1, 2 * HOUR, 2 * HOUR)
    assert (stats.current_state, stats.current_since, stats.current_seconds) == (UP, kyiv(23, 12), 6 * HOUR)
    assert (stats.previous_state, stats.previous_seconds) == (DOWN, 2 * HOUR)


def test_an_outage_from_yesterday_counts_from_midnight_and_the_previous_run_in_full(section):
    log(
        section,
        (UP, kyiv(20, 8), PowerCause.INITIAL),
        (DOWN, kyiv(22, 20), PowerCause.TIMEOUT),
        (UP, kyiv(23, 4), PowerCause.HEARTBEAT),
        (DOWN, kyiv(23, 6), PowerCause.TIMEOUT),
    )
    stats = section_stats(section, Period.DAY, now=kyiv(23, 7))
    assert (stats.outages, stats.total_outage_seconds, stats.longest_outage_seconds) == (2, 5 * HOUR, 4 * HOUR)
    assert (stats.current_state, stats.current_seconds, stats.previous_state, stats.previous_seconds) == (
        DOWN,
        HOUR,
        UP,
        2 * HOUR,
    )


def test_weeks_start_on_monday_and_months_on_the_first_in_the_buildings_timezone():
    now = kyiv(26, 1)  # Thursday, 01:00 in Kyiv: still Wednesday in UTC
    assert period_start(Period.DAY, now, KYIV) == kyiv(26, 0)
    assert period_start(Period.WEEK, now, KYIV) == kyiv(23, 0)
    assert period_start(Period.MONTH, now, KYIV) == kyiv(1, 0)


def test_a_day_when_the_clocks_go_forward_has_23_hours(section):
    log(section, (UP, kyiv(28, 12, month=3), PowerCause.INITIAL))
    stats = section_stats(section, Period.DAY, now=datetime(2026, 3, 29, 23, 0, tzinfo=KYIV))
    assert stats.up_seconds == 22 * HOUR and stats.unknown_seconds == 0


def test_a_state_found_after_a_hold_replaces_the_held_stretch(section):
    log(
        section,
        (UP, kyiv(23, 1), PowerCause.INITIAL),
        (UNKNOWN, kyiv(23, 3), PowerCause.GUARD),
        (DOWN, kyiv(23, 2.5), PowerCause.RESTORED),
    )
    assert [(s.state, s.start) for s in timeline(section, kyiv(23, 0), kyiv(23, 5))] == [
        (UP, kyiv(23, 1)),
        (DOWN, kyiv(23, 2.5)),
    ]
    stats = section_stats(section, Period.DAY, now=kyiv(23, 5))
    assert (stats.down_seconds, stats.unknown_seconds) == (2.5 * HOUR, HOUR)


def test_time_held_as_unknown_counts_for_neither_side(section):
    log(
        section,
        (UP, kyiv(23, 0), PowerCause.INITIAL),
        (UNKNOWN, kyiv(23, 2), PowerCause.GUARD),
        (UP, kyiv(23, 3), PowerCause.RESTORED),
    )
    stats = section_stats(section, Period.DAY, now=kyiv(23, 4))
    assert (stats.up_seconds, stats.unknown_seconds, stats.uptime_share, stats.outages) == (3 * HOUR, HOUR, 1.0, 0)


def test_a_section_without_history(section):
    stats = section_stats(section, Period.MONTH, now=kyiv(23, 4))
    assert stats.uptime_share is None and stats.current_state == UNKNOWN and stats.previous_state is None
    assert stats.unknown_seconds == 22 * 24 * HOUR + 4 * HOUR


def test_stats_read_three_queries_however_long_the_history(section, django_assert_num_queries):
    start = kyiv(1, 0)
    # A flip every hour for 400 hours: down at even hours, up at odd ones, to 15:00 on the 17th.
    log(section, *[(UP if n % 2 else DOWN, start + timedelta(hours=n), PowerCause.TIMEOUT) for n in range(400)])
    SectionPower.objects.create(section=section, state=UP, since=start + timedelta(hours=399), version=400)
    with django_assert_num_queries(3):  # the section's version, the sequence bounds, the events
        stats = section_stats(section, Period.DAY, now=kyiv(17, 16))
    assert (stats.outages, stats.down_seconds, stats.up_seconds) == (8, 8 * HOUR, 8 * HOUR)
    assert (stats.current_state, stats.current_seconds) == (UP, HOUR)


def test_the_next_reader_reuses_the_events_until_the_section_changes(section, django_assert_num_queries):
    log(section, (UP, kyiv(23, 0.5), PowerCause.INITIAL), (DOWN, kyiv(23, 10), PowerCause.TIMEOUT))
    power = SectionPower.objects.create(section=section, state=DOWN, since=kyiv(23, 10), version=2)
    section_stats(section, Period.DAY, now=kyiv(23, 11))

    with django_assert_num_queries(1):  # the version only: a crowd's second resident reads no history
        later = section_stats(section, Period.DAY, now=kyiv(23, 12))
    assert (later.down_seconds, later.current_seconds) == (2 * HOUR, 2 * HOUR)  # counted to its own now

    log_more = PowerEvent(section=section, sequence=3, state=UP, at=kyiv(23, 12.5), cause=PowerCause.HEARTBEAT)
    log_more.save()
    SectionPower.objects.filter(pk=power.pk).update(state=UP, since=kyiv(23, 12.5), version=3)
    changed = section_stats(section, Period.DAY, now=kyiv(23, 13))
    assert (changed.current_state, changed.current_seconds, changed.down_seconds) == (UP, HOUR / 2, 2.5 * HOUR)
