"""Polling the fake Yasno: days are recorded once, changes become news once, and a failing
source leaves the last good data."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest

from ops.metrics import render
from powerbot.models import SourceHealth
from powerbot.sources import SourceError
from schedules import services, yasno
from schedules.models import DayStatus, ScheduleChange, ScheduleDay, Source
from schedules.services import RecordReport

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
TODAY, TOMORROW = date(2026, 12, 3), date(2026, 12, 4)

pytestmark = pytest.mark.django_db


@pytest.fixture
def morning(time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV), tick=False)
    return time_machine


@pytest.fixture
def source(yasno, morning):
    yasno.today = TODAY
    yasno.set_day("3.1", TODAY, off=[(8 * 60, 12 * 60), (18 * 60, 22 * 60)])
    yasno.set_day("3.2", TODAY, status="none")
    return yasno


def polled() -> RecordReport:
    """A poll that was not backed off: its report."""
    report = services.poll_yasno()
    assert report is not None, "the poll was skipped"
    return report


def kinds() -> list[tuple[str, str, date]]:
    return list(ScheduleChange.objects.order_by("id").values_list("kind", "day__group", "day__date"))


def test_the_first_fetch_records_every_group_silently(source):
    report = polled()
    assert report.created == 2 and report.news == []
    day = ScheduleDay.objects.get(group="3.1", date=TODAY)
    assert (day.source, day.status, day.off) == (Source.YASNO, DayStatus.APPLIES, [[480, 720], [1080, 1320]])
    assert ScheduleDay.objects.get(group="3.2").status == DayStatus.NONE
    assert not ScheduleDay.objects.filter(date=TOMORROW).exists()  # no data is not data


def test_tomorrow_published_later_is_news_once_and_a_repeated_fetch_is_not(source, morning):
    services.poll_yasno()
    source.set_day("3.1", TOMORROW, off=[(0, 4 * 60)])
    morning.shift(600)
    services.poll_yasno()
    services.poll_yasno()
    assert kinds() == [("published", "3.1", TOMORROW)]


def test_a_day_first_seen_when_the_day_rolls_over_with_its_schedule_is_published(source, morning):
    services.poll_yasno()
    morning.move_to(datetime(2026, 12, 4, 0, 5, tzinfo=KYIV), tick=False)
    source.roll_over()
    source.set_day("3.1", date(2026, 12, 5), off=[(600, 720)])  # tomorrow appears with the new day
    source.set_day("3.1", TOMORROW, off=[(60, 120)])
    services.poll_yasno()
    assert ("published", "3.1", date(2026, 12, 5)) in kinds()
    assert ("published", "3.1", TOMORROW) in kinds()  # today, first seen now


def test_changed_slots_are_one_change_with_what_was_before(source, morning):
    services.poll_yasno()
    source.set_day("3.1", TODAY, off=[(8 * 60, 12 * 60), (19 * 60, 23 * 60)])
    morning.shift(600)
    services.poll_yasno()
    change = ScheduleChange.objects.get()
    assert change.kind == ScheduleChange.Kind.CHANGED
    assert change.before_off == [[480, 720], [1080, 1320]] and change.off == [[480, 720], [1140, 1380]]


def test_emergency_outages_declared_are_their_own_news(source):
    services.poll_yasno()
    source.set_day("3.2", TODAY, status="emergency")
    services.poll_yasno()
    assert kinds() == [("emergency", "3.2", TODAY)]


def test_a_past_day_corrected_is_kept_but_not_news(source, morning):
    services.poll_yasno()
    morning.move_to(datetime(2026, 12, 4, 9, 0, tzinfo=KYIV), tick=False)
    services.record(Source.YASNO, [yasno.DayPlan("3.1", TODAY, DayStatus.APPLIES, [[0, 60]])], yasno.ZONE)
    assert ScheduleDay.objects.get(group="3.1", date=TODAY).off == [[0, 60]]
    assert kinds() == []


@pytest.mark.parametrize(
    ("failure", "problem"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"status": 429}, "HTTP 429"),
        ({"hang": 1.5}, "timed out"),
        ({"body": b"<html>maintenance</html>"}, "not JSON"),
        ({"body": b"[]"}, "without any group"),
    ],
)
def test_a_failing_source_keeps_the_last_good_data_and_says_why(source, morning, failure, problem):
    services.poll_yasno()
    source.set_day("3.1", TODAY, status="none")
    source.fail_next(**failure)
    morning.shift(600)
    with pytest.raises(SourceError, match=problem):
        services.poll_yasno()
    day = ScheduleDay.objects.get(group="3.1", date=TODAY)
    assert day.status == DayStatus.APPLIES  # the last good data, with its fetch time
    assert day.fetched_at == datetime(2026, 12, 3, 9, 0, tzinfo=KYIV)
    health = SourceHealth.objects.get(source=Source.YASNO)
    assert health.failures == 1 and problem in health.last_error
    metrics = render().decode()
    assert 'powerbot_source_failures{source="yasno"} 1.0' in metrics
    assert 'powerbot_source_data_age_seconds{source="yasno"} 600.0' in metrics
    morning.shift(60)  # a 429 without Retry-After is waited out for a minute
    services.poll_yasno()  # the source is back
    assert ScheduleDay.objects.get(group="3.1", date=TODAY).status == DayStatus.NONE
    assert SourceHealth.objects.get(source=Source.YASNO).failures == 0


def test_an_undocumented_status_never_replaces_a_definite_day(source, morning):
    services.poll_yasno()
    source.set_day("3.1", TODAY, status="SomethingNew")
    services.poll_yasno()
    assert ScheduleDay.objects.get(group="3.1", date=TODAY).status == DayStatus.APPLIES
    assert kinds() == []


def test_one_malformed_group_is_skipped_and_the_rest_recorded(source):
    source.days[("3.3", TODAY)] = {"date": "not a date", "status": "ScheduleApplies", "slots": []}
    report = polled()
    assert report.created == 2
    assert "3.3" in SourceHealth.objects.get(source=Source.YASNO).last_error
    assert 'powerbot_schedule_fetches_total{result="partial"}' in render().decode()


@pytest.mark.django_db(transaction=True)
def test_workers_polling_at_once_record_each_day_and_each_change_once(source, at_once):
    services.poll_yasno()
    source.set_day("3.1", TODAY, off=[(0, 60)])
    source.set_day("3.1", TOMORROW, off=[(60, 120)])
    at_once(services.poll_yasno, 4)
    assert sorted(kinds()) == [("changed", "3.1", TODAY), ("published", "3.1", TOMORROW)]
    assert ScheduleDay.objects.filter(group="3.1").count() == 2


@pytest.mark.parametrize("slots", [[None], ["480-720"], [[480, 720]], "abc", {"a": 1}])
def test_a_group_with_junk_slots_is_skipped_and_the_others_recorded(source, slots):
    source.days[("3.3", TODAY)] = {"date": "2026-12-03", "status": "ScheduleApplies", "slots": slots}
    report = polled()
    assert report.created == 2 and not ScheduleDay.objects.filter(group="3.3").exists()
    assert "group 3.3" in SourceHealth.objects.get(source=Source.YASNO).last_error


def test_only_junk_is_a_failed_fetch(source):
    source.fail_next(body=b'{"3.1": {"today": {"date": "2026-12-03", "status": "ScheduleApplies", "slots": [5]}}}')
    with pytest.raises(SourceError, match="not an object"):
        services.poll_yasno()
    source.fail_next(body=b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(SourceError, match="not JSON"):
        services.poll_yasno()


def test_a_server_that_trickles_its_answer_is_cut_off_at_the_deadline(source):
    source.fail_next(trickle=0.2)  # every read is quick; the whole answer would take minutes
    with pytest.raises(SourceError, match="timed out after 1 s"):  # not after the minutes a per-read timeout allows
        services.poll_yasno()


def test_today_and_tomorrow_with_one_date_is_a_problem_not_two_changes(source, morning):
    services.poll_yasno()
    source.set_day("3.1", TOMORROW, off=[(0, 60)])
    tomorrow = source.days[("3.1", TOMORROW)]
    source.days[("3.1", TOMORROW)] = {**tomorrow, "date": "2026-12-03T00:00:00+02:00"}
    for _ in range(3):
        morning.shift(600)
        services.poll_yasno()
    assert kinds() == [] and ScheduleDay.objects.get(group="3.1", date=TODAY).off == [[480, 720], [1080, 1320]]
    assert "same date" in SourceHealth.objects.get(source=Source.YASNO).last_error


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"status": "emergency", "off": [(600, 720)]}, {"status": "emergency", "off": [(600, 780)]}),
        ({"status": "applies", "off": []}, {"status": "none", "off": []}),
        ({"status": "none", "off": [(480, 720)]}, {"status": "none", "off": []}),
    ],
)
def test_a_change_residents_cannot_see_is_no_change(source, morning, before, after):
    services.poll_yasno()
    source.set_day("3.2", TODAY, **before)
    services.poll_yasno()
    ScheduleChange.objects.all().delete()
    source.set_day("3.2", TODAY, **after)
    morning.shift(600)
    services.poll_yasno()
    assert kinds() == []
    assert ScheduleDay.objects.get(group="3.2", date=TODAY).off == []  # planned-off time only on an "applies" day


@pytest.mark.parametrize(
    ("stated", "expected"),
    [("2026-12-02T22:00:00Z", TODAY), ("2026-12-03", TODAY), ("2026-12-03T00:00:00+02:00", TODAY)],
)
def test_a_date_given_as_a_moment_is_read_as_kyivs_date(source, stated, expected):
    source.days[("3.1", TODAY)]["date"] = stated
    services.poll_yasno()
    assert ScheduleDay.objects.filter(group="3.1").values_list("date", flat=True).get() == expected


@pytest.mark.parametrize("stated", ["9999-12-31", "2031-01-01", "1999-01-01"])
def test_a_day_that_is_not_today_or_tomorrow_is_refused(source, stated):
    source.days[("3.1", TODAY)]["date"] = stated
    services.poll_yasno()
    assert not ScheduleDay.objects.filter(group="3.1").exists()
    assert "is not today or tomorrow" in SourceHealth.objects.get(source=Source.YASNO).last_error


def test_a_group_key_with_a_newline_is_not_a_group(source):
    source.days[("3.1\n", TODAY)] = source.days[("3.1", TODAY)]
    services.poll_yasno()
    assert set(ScheduleDay.objects.values_list("group", flat=True)) == {"3.1", "3.2"}


def test_a_compressed_answer_is_read(source):
    source.compress = True
    assert polled().created == 2


@pytest.mark.parametrize("stated", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:30:00-05:00"])
def test_a_moment_out_of_any_calendar_is_that_groups_problem(source, stated):
    source.days[("3.1", TODAY)]["date"] = stated
    assert polled().created == 1
    assert "group 3.1" in SourceHealth.objects.get(source=Source.YASNO).last_error


def test_a_slot_only_in_the_hour_the_clocks_skip_is_no_outage(yasno, time_machine):
    time_machine.move_to(datetime(2027, 3, 28, 1, 0, tzinfo=KYIV), tick=False)
    yasno.today = date(2027, 3, 28)
    yasno.set_day("3.1", date(2027, 3, 28), status="none")
    services.poll_yasno()
    yasno.set_day("3.1", date(2027, 3, 28), off=[(180, 240)])
    services.poll_yasno()
    assert kinds() == [] and ScheduleDay.objects.get().status == DayStatus.NONE


def test_a_group_in_other_digits_is_not_a_group(source):
    source.days[("٣.١", TODAY)] = source.days[("3.1", TODAY)]
    services.poll_yasno()
    assert set(ScheduleDay.objects.values_list("group", flat=True)) == {"3.1", "3.2"}
