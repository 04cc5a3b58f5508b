"""Guards against false outages: mass silence, flapping, and the operator's own corrections."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.models import Section
from sensors.models import MassSilence, PowerCause, PowerEvent, PowerState, SectionPower, Sensor
from sensors.power import detect_offline, release_mass_silence, set_section_state
from sensors.tests.history import events, recorded

pytestmark = pytest.mark.django_db

TIMEOUT = 150
BUILDINGS = (10, 11, 12, 13, 14)
HELD = [(PowerState.UP, PowerCause.INITIAL), (PowerState.UNKNOWN, PowerCause.GUARD)]


@pytest.fixture(autouse=True)
def town(make_building):
    for building in BUILDINGS:
        make_building(id=building, name=f"House {building}", sections=2)


@pytest.fixture
def fleet(beat, time_travel):
    """Three sensors in each of five buildings, heard as firmware is: spread over ten seconds."""

    def send(buildings: tuple[int, ...] = BUILDINGS) -> None:
        for building in buildings:
            for n in range(3):
                beat(f"{building}-{n}", building=building)
                time_travel(seconds=0.6)

    detect_offline()
    send()
    return send


def keep_beating(fleet, elapse, seconds: int, buildings: tuple[int, ...] = BUILDINGS) -> None:
    """Every ten seconds `buildings` report (and the detector ticks), for `seconds`."""
    end = timezone.now() + timedelta(seconds=seconds)
    while timezone.now() < end:
        started = timezone.now()
        fleet(buildings)
        elapse(10 - int((timezone.now() - started).total_seconds()))


def test_mass_silence_holds_sections_as_unknown_and_alerts_the_operator(fleet, elapse, caplog):
    with caplog.at_level(logging.ERROR, logger="sensors.power"):
        elapse(TIMEOUT + 20)  # the server lost its uplink: every board falls silent
    assert not Sensor.objects.filter(online=True).exists()  # what the sensors did is still recorded
    for building in BUILDINGS:
        assert events(building) == HELD
    silence = MassSilence.objects.get()
    assert silence.open and (silence.silent_sensors, silence.active_sensors, silence.buildings) == (15, 15, 5)
    assert "MASS SILENCE: 15 of 15 sensors in 5 buildings" in caplog.text
    assert not PowerEvent.objects.filter(state=PowerState.DOWN).exists()


def test_sensors_returning_restore_the_state_and_end_the_hold(fleet, elapse):
    elapse(TIMEOUT + 20)
    fleet()  # the uplink is back
    for building in BUILDINGS:
        assert events(building) == [*HELD, (PowerState.UP, PowerCause.RESTORED)]
    keep_beating(fleet, elapse, TIMEOUT + 30)
    silence = MassSilence.objects.get()
    assert not silence.open and silence.recovering_since is not None and silence.ended_at is not None
    assert not silence.ended_by  # ended by the engine, not an operator


def test_a_building_still_silent_after_the_hold_is_down_from_its_last_heartbeat(fleet, elapse):
    last_heard = Sensor.objects.filter(section__building_id=14).latest("last_heartbeat").last_heartbeat
    elapse(TIMEOUT + 20)
    keep_beating(fleet, elapse, TIMEOUT + 30, buildings=(10, 11, 12, 13))
    assert not MassSilence.objects.get().open
    assert events(14) == [*HELD, (PowerState.DOWN, PowerCause.RESTORED)]
    assert PowerEvent.objects.filter(section__building_id=14).latest("sequence").at == last_heard
    assert recorded(10) == PowerState.UP


def test_the_hold_stays_while_the_silence_stays_massive(fleet, elapse):
    elapse(TIMEOUT + 20)
    keep_beating(fleet, elapse, 3 * TIMEOUT, buildings=(10,))  # one building in five is back
    silence = MassSilence.objects.get()
    assert silence.open and silence.recovering_since is None
    assert events(11) == HELD and recorded(10) == PowerState.UP


def test_an_outage_in_one_building_is_not_held(fleet, elapse):
    keep_beating(fleet, elapse, TIMEOUT + 20, buildings=(10, 11, 12, 13))
    assert events(14) == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]
    assert not MassSilence.objects.exists()


def test_silence_of_less_than_the_configured_share_is_an_outage(fleet, elapse, settings):
    settings.MASS_SILENCE_MIN_SENSORS = 5
    keep_beating(fleet, elapse, TIMEOUT + 20, buildings=(10, 11))  # 9 of 15 silent: 60% < 70%
    for building in (12, 13, 14):
        assert events(building)[-1] == (PowerState.DOWN, PowerCause.TIMEOUT)
    assert not MassSilence.objects.exists()


def test_the_guard_is_off_with_a_minimum_of_zero_sensors(fleet, elapse, settings):
    settings.MASS_SILENCE_MIN_SENSORS = 0
    elapse(TIMEOUT + 20)
    assert all(recorded(building) == PowerState.DOWN for building in BUILDINGS)


def test_an_operator_releases_the_hold_and_silent_sections_go_down(fleet, elapse):
    elapse(TIMEOUT + 20)
    events_released = release_mass_silence(MassSilence.objects.get(), timezone.now(), by="alice")
    assert len(events_released) == len(BUILDINGS)
    assert all(events(building)[-1] == (PowerState.DOWN, PowerCause.RESTORED) for building in BUILDINGS)
    silence = MassSilence.objects.get()
    assert not silence.open and silence.ended_by == "alice"
    assert release_mass_silence(silence, timezone.now(), by="bob") == []  # already released


@pytest.mark.django_db(transaction=True)
def test_two_detectors_in_a_mass_silence_open_one_hold_and_hold_each_section_once(fleet, time_travel, at_once):
    time_travel(seconds=TIMEOUT - 20)
    detect_offline()
    time_travel(seconds=25)
    at_once(detect_offline, 3)
    assert MassSilence.objects.count() == 1
    for building in BUILDINGS:
        assert events(building) == HELD


class TestPowerOnConfirmation:
    @pytest.fixture(autouse=True)
    def confirm_after_a_minute(self, settings):
        settings.POWER_ON_CONFIRM_SEC = 60

    @pytest.fixture
    def outage(self, beat, elapse):
        detect_offline()
        beat()
        elapse(TIMEOUT + 10)
        assert recorded() == PowerState.DOWN

    def test_power_on_is_recorded_after_a_minute_of_heartbeats_from_the_first(self, outage, beat, elapse):
        beat()
        first = Sensor.objects.get().last_heartbeat
        for _ in range(5):
            elapse(10)
            beat()
        assert recorded() == PowerState.DOWN  # 50 seconds in: not yet
        elapse(10)
        beat()
        event = PowerEvent.objects.latest("sequence")
        assert (event.state, event.cause, event.at) == (PowerState.UP, PowerCause.HEARTBEAT, first)

    def test_a_flicker_shorter_than_the_confirmation_tells_nobody(self, outage, beat, elapse):
        for _ in range(3):  # power for 20 seconds, off again, three times over
            beat()
            elapse(20)
            beat()
            elapse(TIMEOUT + 10)
        assert events() == [(PowerState.UP, PowerCause.INITIAL), (PowerState.DOWN, PowerCause.TIMEOUT)]

    def test_a_section_seen_for_the_first_time_starts_up_at_once(self, beat):
        detect_offline()
        beat()
        assert events() == [(PowerState.UP, PowerCause.INITIAL)]


def test_an_operator_sets_a_section_state_with_a_reason(beat, elapse):
    detect_offline()
    beat()
    section = Section.objects.get(building_id=10, number=1)
    event = set_section_state(section, PowerState.DOWN, "board is wet; the block is dark", operator="alice")
    assert (event.cause, event.reason, event.operator, event.previous_state) == (
        PowerCause.OPERATOR,
        "board is wet; the block is dark",
        "alice",
        PowerState.UP,
    )
    assert SectionPower.objects.get(section=section).state == PowerState.DOWN
    elapse(TIMEOUT + 10)  # the sensor's next transition records what it says again
    assert events()[-1] == (PowerState.DOWN, PowerCause.OPERATOR)
    beat()
    assert events()[-1] == (PowerState.UP, PowerCause.HEARTBEAT)


def test_an_operator_may_set_the_state_of_a_section_never_seen(make_building):
    section = Section.objects.get(building_id=10, number=2)
    event = set_section_state(section, PowerState.DOWN, "no sensor yet; the block is dark", operator="alice")
    assert (event.sequence, event.state, event.cause) == (1, PowerState.DOWN, PowerCause.OPERATOR)
