"""Polling the fake alert services: one state per region, its history, and sources that
fail, refuse, lie or go quiet."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from alerts import services
from alerts.models import Alert, Reading, Region, Source, State
from ops.metrics import render
from powerbot.models import SourceHealth

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOON, tick=False)
    return time_machine


@pytest.fixture
def kyiv(make_building, clock):
    return make_building(id=10, name="London", sections=1)  # no region of its own: the default, 31


@pytest.fixture
def quiet_start(alert_sources, kyiv, clock):
    """Both services answered "no alert" once: the region's first state, recorded silently."""
    services.poll()
    return alert_sources


def region(uid: str = "31") -> Region:
    return Region.objects.get(uid=uid)


def test_the_first_state_ever_seen_is_recorded_without_an_announced_alert(alert_sources, kyiv):
    in_ua, ukrainealarm = alert_sources
    in_ua.set("31", "A")
    ukrainealarm.set("31", active=True)
    report = services.poll()
    assert report.changed == [("31", State.ACTIVE)]
    alert = Alert.objects.get()
    assert (alert.announced, alert.started_at, alert.ended_at) == (False, NOON, None)
    assert region().since == NOON
    assert services.poll().changed == []  # the same answers again: nothing new


def test_an_alert_is_recorded_with_its_first_source_and_ends_only_when_both_say_clear(quiet_start, clock):
    in_ua, ukrainealarm = quiet_start
    in_ua.set("31", "P")  # partly active counts as active
    clock.shift(15)
    assert services.poll().changed == [("31", State.ACTIVE)]
    ukrainealarm.set("31", active=True)
    clock.shift(15)
    services.poll()
    in_ua.set("31", "N")
    ukrainealarm.set("31", active=False)
    ukrainealarm.fail_next(status=502)  # ukrainealarm has not said clear since the alert
    clock.shift(15)
    assert services.poll().changed == []
    assert region().state == State.ACTIVE
    clock.shift(15)  # it answers again: both agree
    assert services.poll().changed == [("31", State.CLEAR)]
    alert = Alert.objects.get()
    assert alert.first_source == Source.ALERTS_IN_UA and alert.announced
    assert (alert.started_at, alert.duration) == (NOON + timedelta(seconds=15), timedelta(seconds=45))
    assert region().since == NOON + timedelta(seconds=60)


def test_sources_that_disagree_make_it_an_alert_and_show_in_the_admin_and_metrics(quiet_start, clock, admin_client):
    in_ua, _ = quiet_start
    in_ua.set("31", "A")
    clock.shift(15)
    services.poll()
    assert region().state == State.ACTIVE and region().disagreement
    page = admin_client.get("/admin/alerts/region/").content.decode()
    assert "alerts.in.ua: alert" in page and "ukrainealarm: no alert" in page
    metrics = render().decode()
    assert 'powerbot_alert_sources_disagree{region="31"} 1.0' in metrics
    assert 'powerbot_alert_region_state{region="31",state="active"} 1.0' in metrics
    assert 'powerbot_alert_answer_age_seconds{region="31",source="ukrainealarm"} 0.0' in metrics


def test_a_source_with_a_wrong_key_is_shown_failing_and_the_other_decides(quiet_start, clock, settings):
    _in_ua, ukrainealarm = quiet_start
    settings.ALERTS_IN_UA_API_KEY = "revoked"
    ukrainealarm.set("31", active=True)
    clock.shift(15)
    report = services.poll()
    assert report.failed == ["alerts_in_ua: refused the key (HTTP 401)"]
    assert report.changed == [("31", State.ACTIVE)]
    health = SourceHealth.objects.get(source=Source.ALERTS_IN_UA)
    assert health.failures == 1 and "401" in health.last_error
    assert Reading.objects.get(source=Source.ALERTS_IN_UA).error == "refused the key (HTTP 401)"


@pytest.mark.parametrize(
    ("failure", "problem"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"hang": 1.5}, "timed out after 1 s"),
        ({"body": b"<html>maintenance</html>"}, "not JSON"),
        ({"body": b'"X"'}, 'not "A", "P" or "N"'),
        ({"body": b'{"alerts": []}'}, 'not "A", "P" or "N"'),
    ],
)
def test_a_failing_answer_from_alerts_in_ua_changes_nothing_and_says_why(quiet_start, clock, failure, problem):
    in_ua, _ = quiet_start
    in_ua.fail_next(**failure)
    clock.shift(15)
    report = services.poll()
    assert len(report.failed) == 1 and problem in report.failed[0]
    assert region().state == State.CLEAR  # ukrainealarm answered; the failed answer counts for nothing
    assert Reading.objects.get(source=Source.ALERTS_IN_UA).answered_at == NOON  # its last good answer


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[]", "not a list of regions"),
        (b'{"regionId": "31"}', "not a list of regions"),
        (b'[{"regionId": "31"}]', "without a list of active alerts"),
        (b'[{"regionId": "31", "activeAlerts": "AIR"}]', "without a list of active alerts"),
    ],
)
def test_garbage_from_ukrainealarm_changes_nothing_and_says_why(quiet_start, clock, body, problem):
    _, ukrainealarm = quiet_start
    ukrainealarm.fail_next(body=body)
    clock.shift(15)
    report = services.poll()
    assert len(report.failed) == 1 and problem in report.failed[0]
    assert region().state == State.CLEAR


def test_without_a_fresh_answer_the_state_is_unknown_and_an_open_alert_goes_on(quiet_start, clock):
    in_ua, ukrainealarm = quiet_start
    in_ua.set("31", "A")
    clock.shift(15)
    services.poll()
    in_ua.fail_next(200, status=503)
    ukrainealarm.fail_next(200, status=503)
    clock.shift(121)
    services.poll()
    assert region().state == State.UNKNOWN
    in_ua.fail_next(0)
    in_ua._failures.clear()
    ukrainealarm._failures.clear()
    clock.shift(600)  # past every back-off
    services.poll()
    assert region().state == State.ACTIVE
    alert = Alert.objects.get()  # the same alert: residents were told of it once
    assert alert.ended_at is None and region().since == alert.started_at


def test_a_429_is_waited_out_for_as_long_as_the_source_asks(quiet_start, clock):
    in_ua, _ = quiet_start
    in_ua.fail_next(status=429, retry_after=45)
    clock.shift(15)
    assert "HTTP 429" in services.poll().failed[0]
    asked = len(in_ua.requests)
    for _ in range(2):  # 30 s later: still waiting
        clock.shift(15)
        services.poll()
    assert len(in_ua.requests) == asked
    assert SourceHealth.objects.get(source=Source.ALERTS_IN_UA).backoff_until == NOON + timedelta(seconds=60)
    clock.shift(15)
    services.poll()
    assert len(in_ua.requests) == asked + 1


def test_a_source_failing_again_and_again_is_asked_less_and_less(quiet_start, clock):
    in_ua, _ = quiet_start
    in_ua.fail_next(100, status=500)
    asked_at = []
    for second in range(15, 15 * 40, 15):  # ten minutes of polls
        clock.move_to(NOON + timedelta(seconds=second), tick=False)
        before = len(in_ua.requests)
        services.poll()
        if len(in_ua.requests) > before:
            asked_at.append(second)
    gaps = [later - earlier for earlier, later in itertools.pairwise(asked_at)]
    assert gaps[:4] == [15, 30, 60, 120]  # doubling, then capped at ten minutes
    assert len(asked_at) < 10


def test_many_regions_are_asked_in_turn_within_the_published_rate(alert_sources, make_building, clock, settings):
    in_ua, ukrainealarm = alert_sources
    in_ua.per_minute = ukrainealarm.per_minute = 8  # the real limit: more gets 429
    settings.ALERTS_UKRAINEALARM_PER_MINUTE = 8
    for number in range(5):
        make_building(id=20 + number, name=f"B{number}", alert_region=str(10 + number))
    for _ in range(12):  # three minutes
        services.poll()
        clock.shift(15)
    assert not SourceHealth.objects.filter(failures__gt=0).exists()  # never over the limit
    assert {path.split("/")[-1] for path in in_ua.requests} == {f"{10 + n}.json" for n in range(5)}
    assert len(in_ua.requests) == 12 * 2  # two a poll: 8 a minute
    assert set(Region.objects.values_list("state", flat=True)) == {State.CLEAR}


def test_each_building_is_watched_in_its_own_region_and_the_default_covers_the_rest(
    alert_sources, make_building, settings
):
    in_ua, ukrainealarm = alert_sources
    make_building(id=10, name="Kyiv")
    make_building(id=11, name="Lviv", alert_region="27", alert_region_ukrainealarm="12")
    in_ua.set("27", "A")
    services.poll()
    assert sorted(Region.objects.values_list("uid", "ukrainealarm_id", "state")) == [
        ("27", "12", "active"),
        ("31", "31", "clear"),
    ]
    assert "/alerts/12" in ukrainealarm.requests and "/iot/active_air_raid_alerts/27.json" in in_ua.requests


def test_a_region_no_building_is_in_any_more_keeps_its_history_but_is_not_polled(alert_sources, kyiv):
    in_ua, _ = alert_sources
    services.poll()
    kyiv.alert_region = "14"
    kyiv.save()
    services.poll()
    assert list(Region.objects.filter(watched=True).values_list("uid", flat=True)) == ["14"]
    asked = len(in_ua.requests)
    services.poll()
    assert len(in_ua.requests) == asked + 1 and in_ua.requests[-1].endswith("/14.json")


def test_two_workers_deciding_at_once_record_one_alert(quiet_start, clock, at_once, transactional_db):
    in_ua, _ = quiet_start
    in_ua.set("31", "A")
    clock.shift(15)
    services.record(region(), Source.ALERTS_IN_UA, True, NOON + timedelta(seconds=15))
    changed: list[object] = []
    at_once(lambda: changed.append(services.evaluate(region())), 2)
    assert sorted(changed, key=str) == [None, State.ACTIVE]
    assert Alert.objects.count() == 1 and region().version == 2


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("nan", 60), ("inf", 60), ("-5", 1), ("soon", 60), ("", 60), ("1e9", 600), ("Thu, 03 Dec 2026 10:02:00 GMT", 105)],
)
def test_an_odd_retry_after_is_read_as_a_sane_wait_and_the_poll_goes_on(quiet_start, clock, retry_after, wait):
    in_ua, ukrainealarm = quiet_start
    in_ua.fail_next(status=429, retry_after=retry_after)
    ukrainealarm.set("31", active=True)
    clock.shift(15)
    report = services.poll()
    assert report.changed == [("31", State.ACTIVE)]  # the other source was asked, the region decided
    backoff = SourceHealth.objects.get(source=Source.ALERTS_IN_UA).backoff_until
    assert backoff == NOON + timedelta(seconds=15 + wait)


def test_an_alert_under_way_when_the_first_answers_come_late_is_recorded_silently(alert_sources, kyiv, clock):
    in_ua, ukrainealarm = alert_sources
    in_ua.fail_next(status=503)
    ukrainealarm.fail_next(status=503)
    services.poll()  # nothing known yet: no state is recorded
    assert region().state == ""
    in_ua.set("31", "A")
    clock.shift(15)
    services.poll()
    assert region().state == State.ACTIVE and Alert.objects.get().announced is False


def test_a_region_left_during_an_alert_is_polled_until_it_ends_and_starts_afresh_when_rejoined(
    quiet_start, kyiv, clock
):
    in_ua, _ukrainealarm = quiet_start
    in_ua.set("31", "A")
    clock.shift(15)
    services.poll()
    kyiv.alert_region = "27"
    kyiv.save()
    clock.shift(15)
    services.poll()  # 31 is still polled: its alert is open
    assert Region.objects.get(uid="31").watched is False and Alert.objects.get(region__uid="31").ended_at is None
    in_ua.set("31", "N")
    clock.shift(15)
    services.poll()
    assert Alert.objects.get(region__uid="31").ended_at == NOON + timedelta(seconds=45)
    clock.shift(15)
    services.poll()
    assert region("31").state == ""  # no building there and no alert open: forgotten
    asked = len(in_ua.requests)
    clock.shift(15)
    services.poll()
    assert not any(path.endswith("/31.json") for path in in_ua.requests[asked:])
    in_ua.set("31", "A")
    kyiv.alert_region = ""
    kyiv.save()
    clock.shift(86_400)
    services.poll()
    new = Alert.objects.filter(region__uid="31").order_by("started_at").last()
    assert new is not None
    assert region("31").state == State.ACTIVE and new.ended_at is None and new.announced is False  # as a new region


def test_the_rate_holds_in_every_minute_with_short_polls_and_several_pollers(
    alert_sources, make_building, clock, settings, at_once, transactional_db
):
    in_ua, _ = alert_sources
    in_ua.per_minute = 8  # the fake refuses a ninth request within 60 s, as the real one does
    settings.ALERTS_POLL_SEC, settings.ALERTS_FRESH_SEC = 5, 60
    for number in range(20):
        make_building(id=20 + number, name=f"B{number}", alert_region=str(10 + number))
    for _ in range(36):  # three minutes, two pollers at a time
        at_once(services.poll, 2)
        clock.shift(5)
    assert SourceHealth.objects.get(source=Source.ALERTS_IN_UA).failures == 0  # never a 429
    assert len(in_ua.requests) == 3 * 8


def test_an_alert_held_by_a_source_that_has_not_answered_since_opens_at_its_last_word(quiet_start, clock):
    now = NOON + timedelta(seconds=60)
    Reading.objects.filter(source=Source.ALERTS_IN_UA).update(
        active=False, answered_at=now, last_active_at=now - timedelta(seconds=30)
    )
    Reading.objects.filter(source=Source.UKRAINEALARM).update(active=False, answered_at=now - timedelta(seconds=50))
    assert services.evaluate(region(), now) == State.ACTIVE
    assert Alert.objects.get().started_at == now - timedelta(seconds=30)
