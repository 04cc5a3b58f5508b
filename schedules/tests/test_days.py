"""Wall-clock minutes become the right instants across DST changes and midnight."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from schedules import days
from schedules.days import Interval

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_24_00_ends_the_day_at_the_next_midnight():
    [span] = days.intervals(date(2026, 12, 3), [[22 * 60, 1440]], KYIV)
    assert span == Interval(utc(2026, 12, 3, 20), utc(2026, 12, 3, 22))
    assert days.on_day([span], date(2026, 12, 3), KYIV) == [("22:00", "24:00")]


def test_an_outage_across_midnight_is_one_outage():
    spans = days.intervals(date(2026, 12, 3), [[22 * 60, 1440]], KYIV) + days.intervals(
        date(2026, 12, 4), [[0, 2 * 60], [8 * 60, 9 * 60]], KYIV
    )
    merged = days.merged(spans)
    assert merged[0] == Interval(utc(2026, 12, 3, 20), utc(2026, 12, 4, 0))
    assert merged[0].length == timedelta(hours=4)
    assert days.on_day(merged, date(2026, 12, 4), KYIV) == [("00:00", "02:00"), ("08:00", "09:00")]


def test_the_spring_dst_day_has_23_hours_and_its_missing_hour_is_never_off():
    # 2027-03-28: Kyiv's clocks go from 03:00 to 04:00.
    spans = days.intervals(date(2027, 3, 28), [[2 * 60, 5 * 60]], KYIV)
    assert [s.length for s in spans] == [timedelta(hours=2)]  # 02:00-05:00 on the wall is two real hours
    assert days.intervals(date(2027, 3, 28), [[3 * 60, 4 * 60]], KYIV) == []
    whole = days.intervals(date(2027, 3, 28), [[0, 1440]], KYIV)
    assert whole[0].length == timedelta(hours=23)


def test_a_time_the_clocks_skip_is_the_moment_they_jump():
    # 2027-03-28: 03:00 EET becomes 04:00 EEST at 01:00 UTC.
    [late_start] = days.intervals(date(2027, 3, 28), [[3 * 60 + 30, 5 * 60]], KYIV)
    assert late_start == Interval(utc(2027, 3, 28, 1), utc(2027, 3, 28, 2))  # 04:00-05:00 on the clock
    [early_end] = days.intervals(date(2027, 3, 28), [[2 * 60, 3 * 60 + 30]], KYIV)
    assert early_end == Interval(utc(2027, 3, 28, 0), utc(2027, 3, 28, 1))  # 02:00-04:00 on the clock


def test_the_autumn_dst_day_has_25_hours():
    # 2026-10-25: Kyiv's clocks go from 04:00 back to 03:00.
    whole = days.intervals(date(2026, 10, 25), [[0, 1440]], KYIV)
    assert whole[0].length == timedelta(hours=25)
    spans = days.intervals(date(2026, 10, 25), [[2 * 60, 5 * 60]], KYIV)
    assert spans[0].length == timedelta(hours=4)  # 02:00-05:00 on the wall holds the repeated hour
    assert days.on_day(whole, date(2026, 10, 25), KYIV) == [("00:00", "24:00")]


def test_the_on_periods_are_the_rest_of_the_day():
    spans = days.intervals(date(2026, 12, 3), [[8 * 60, 12 * 60], [18 * 60, 1440]], KYIV)
    on = days.gaps(spans, date(2026, 12, 3), KYIV)
    assert days.on_day(on, date(2026, 12, 3), KYIV) == [("00:00", "08:00"), ("12:00", "18:00")]


def test_intervals_are_sorted_and_joined_and_bad_ones_refused():
    assert days.normalised([[600, 700], [0, 60], [650, 800], [800, 900]]) == [[0, 60], [600, 900]]
    with pytest.raises(ValueError, match="within one day"):
        days.normalised([[700, 600]])
    with pytest.raises(ValueError, match="within one day"):
        days.normalised([[0, 1500]])


@pytest.mark.parametrize(("text", "minute"), [("00:00", 0), ("8:30", 510), ("24:00", 1440), (" 23:59 ", 1439)])
def test_clock_times_are_read(text, minute):
    assert days.minute_of(text) == minute


@pytest.mark.parametrize("text", ["24:30", "12:60", "noon", "25:00", "12"])
def test_clock_times_that_are_not_times_are_refused(text):
    with pytest.raises(ValueError, match="is not a time"):
        days.minute_of(text)


def test_a_different_fingerprint_for_a_different_day():
    assert days.fingerprint("applies", [[0, 60]], "Europe/Kyiv") == days.fingerprint(
        "applies", [[0, 60]], "Europe/Kyiv"
    )
    assert days.fingerprint("applies", [[0, 60]], "Europe/Kyiv") != days.fingerprint(
        "applies", [[0, 90]], "Europe/Kyiv"
    )
    assert days.fingerprint("none", [], "Europe/Kyiv") != days.fingerprint("emergency", [], "Europe/Kyiv")
    assert days.fingerprint("none", [], "Europe/Kyiv") != days.fingerprint("none", [], "Europe/London")
