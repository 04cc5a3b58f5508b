"""Air-raid alert notices through the fake alert services, the real sender and the fake
Telegram: once each, ahead of power notices, never held by quiet hours, never stale."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

import pytest

from alerts import services
from alerts.models import Alert
from buildings.models import Section, Shelter
from conftest import subscribe
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Message
from sensors.models import PowerState
from sensors.power import set_section_state

pytestmark = pytest.mark.django_db(transaction=True)

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 14, 5, tzinfo=KYIV), tick=False)
    return time_machine


@pytest.fixture
def town(make_building, clock):
    london = make_building(id=10, name="London", sections=2)
    Shelter.objects.create(building=london, name="Parking -1", address="1 Main St", distance_m=80)
    Shelter.objects.create(building=london, name="Metro", distance_m=400)
    make_building(id=11, name="Lviv", sections=1, alert_region="27")


@pytest.fixture
def calm(alert_sources, town, clock):
    """No alert anywhere, seen once (the first state, silently)."""
    services.poll()
    return alert_sources


def sound_the_alert(sources, clock, uid: str = "31") -> None:
    in_ua, ukrainealarm = sources
    in_ua.set(uid, "A")
    ukrainealarm.set(uid, active=True)
    clock.shift(15)
    services.poll()


def all_clear(sources, clock, uid: str = "31", after: int = 15) -> None:
    in_ua, ukrainealarm = sources
    in_ua.set(uid, "N")
    ukrainealarm.set(uid, active=False)
    clock.shift(after)
    services.poll()


def test_an_alert_and_its_all_clear_reach_each_subscriber_of_the_region_once(calm, clock, telegram):
    subscribe(101, (10, 1), (10, 2), language="en")  # two sections of one building: one notice
    subscribe(102, (10, 1), language="uk")
    subscribe(103, (10, 1), language="en", alert_notices=False)
    subscribe(104, (11, 1), language="en")  # another region
    sound_the_alert(calm, clock)
    [english] = telegram.texts(101)
    assert english == (
        "🚨 Air-raid alert at London since 14:05. Go to the shelter.\nNearest shelter: Parking -1 (1 Main St, 80 m)."
    )
    assert telegram.texts(102)[0].startswith("🚨 Повітряна тривога: London, з 14:05.")
    assert telegram.texts(103) == [] and telegram.texts(104) == []
    services.poll()  # the same answers again
    all_clear(calm, clock, after=47 * 60)
    assert telegram.texts(101)[1] == "✅ All clear at London (14:52). The alert lasted 47 minutes."
    alert = Alert.objects.get()
    assert outbox.announce_alert(alert.pk, ending=False) == 0  # as after a restart, or the sweep
    assert outbox.announce_alert(alert.pk, ending=True) == 0
    assert outbox.announce_missed(timedelta(hours=1)) == 0
    assert deliver().sent == 0 and len(telegram.sent()) == 4


def test_alert_notices_go_before_power_notices_already_queued(calm, clock, telegram, settings):
    for chat_id in range(200, 230):
        subscribe(chat_id, (10, 1), language="en")
    settings.TELEGRAM_BOT_TOKEN = ""  # the sender is down while the news piles up
    section = Section.objects.get(building_id=10, number=1)
    set_section_state(section, PowerState.UP, "test", "operator")
    clock.shift(60)
    set_section_state(section, PowerState.DOWN, "test", "operator")
    sound_the_alert(calm, clock)
    assert Message.objects.filter(kind=Message.Kind.POWER, state=Message.State.PENDING).count() == 60  # on, off
    settings.TELEGRAM_BOT_TOKEN = telegram.token
    deliver()
    kinds = [
        Message.objects.get(subscriber__chat_id=int(sent["chat_id"]), text=sent["text"]).kind
        for sent in telegram.sent()
    ]
    assert kinds == [Message.Kind.ALERT] * 30 + [Message.Kind.POWER] * 30


def test_an_alert_in_quiet_hours_comes_at_once_without_sound_even_for_those_who_hold_messages(calm, clock, telegram):
    subscribe(101, (10, 1), language="en", quiet_start=time(12), quiet_end=time(18), hold_in_quiet_hours=True)
    sound_the_alert(calm, clock)
    [notice] = telegram.sent(101)
    assert notice["disable_notification"] == "true"


def test_an_alert_over_before_its_notice_left_says_only_the_all_clear(calm, clock, telegram, settings):
    subscribe(101, (10, 1), language="en")
    settings.TELEGRAM_BOT_TOKEN = ""  # the sender cannot send meanwhile
    sound_the_alert(calm, clock)
    all_clear(calm, clock, after=120)
    settings.TELEGRAM_BOT_TOKEN = telegram.token
    deliver()
    assert telegram.texts(101) == ["✅ All clear at London (14:07). The alert lasted 2 minutes."]
    start = Message.objects.get(topic__endswith=":start")
    assert (start.state, start.error) == (Message.State.SKIPPED, "the alert ended before its notice left")


def test_an_all_clear_overtaken_by_a_new_alert_is_not_sent(calm, clock, telegram, settings):
    subscribe(101, (10, 1), language="en")
    sound_the_alert(calm, clock)
    settings.TELEGRAM_BOT_TOKEN = ""
    all_clear(calm, clock, after=600)
    sound_the_alert(calm, clock)
    settings.TELEGRAM_BOT_TOKEN = telegram.token
    deliver()
    texts = telegram.texts(101)
    assert len(texts) == 2 and all(text.startswith("🚨") for text in texts)
    assert Message.objects.get(topic__endswith=":end").error == "another alert began before the all-clear left"


def test_a_broker_down_fails_no_poll_and_the_sweep_announces_the_alert(calm, clock, telegram, broker_down):
    subscribe(101, (10, 1), language="en")
    calm[0].set("31", "A")
    clock.shift(15)
    assert services.poll().changed == [("31", "active")]  # recorded, though its notice could not be queued
    assert telegram.texts(101) == []
    assert outbox.announce_missed(timedelta(hours=1)) == 1
    deliver()
    assert len(telegram.texts(101)) == 1
