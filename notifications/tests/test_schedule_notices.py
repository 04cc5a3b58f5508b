"""Schedule notices, reminders and power notices with the schedule's context, through the
fake Yasno, the real sender and the fake Telegram."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from conftest import subscribe
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Message
from schedules import services
from schedules.models import ScheduleChange
from sensors.power import detect_offline

pytestmark = pytest.mark.django_db(transaction=True)

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
TODAY, TOMORROW = date(2026, 12, 3), date(2026, 12, 4)
EVENING = [(18 * 60, 22 * 60)]


@pytest.fixture
def clock(time_machine):
    def at(hour: int, minute: int = 0, second: int = 0, day: date = TODAY) -> None:
        time_machine.move_to(datetime.combine(day, time(hour, minute, second), tzinfo=KYIV), tick=False)

    at(9)
    return at


@pytest.fixture
def town(make_building, clock):
    make_building(id=10, name="London", sections=2, schedule_group="3.1")
    make_building(id=11, name="Paris", sections=1, schedule_group="3.2")


@pytest.fixture
def polled(yasno, town):
    """Yasno has today's schedule of both groups, fetched once (silently: the first data)."""
    yasno.today = TODAY
    yasno.set_day("3.1", TODAY, off=EVENING)
    yasno.set_day("3.2", TODAY, status="none")
    services.poll_yasno()
    return yasno


def test_tomorrows_schedule_reaches_each_subscriber_of_the_group_once(polled, telegram):
    subscribe(101, (10, 1), language="uk")
    subscribe(102, (10, 1), (10, 2), language="en")  # two sections of one group: one notice
    subscribe(103, (10, 1), language="en", schedule_notices=False)
    subscribe(104, (11, 1), language="en")  # another group
    polled.set_day("3.1", TOMORROW, off=[(8 * 60, 12 * 60), (20 * 60, 24 * 60)])
    services.poll_yasno()
    [english] = telegram.texts(102)
    assert english == "📅 Schedule for 04.12, group 3.1: off 08:00–12:00, 20:00–24:00 (8 hours)."
    [ukrainian] = telegram.texts(101)
    assert ukrainian.startswith("📅 Графік на 04.12, черга 3.1: вимкнення 08:00–12:00, 20:00–24:00")
    assert telegram.texts(103) == [] and telegram.texts(104) == []
    services.poll_yasno()  # the same data again
    change = ScheduleChange.objects.get()
    assert outbox.announce_schedule_change(change.pk) == 0  # as after a restart, or the sweep
    assert outbox.announce_missed(timedelta(hours=1)) == 0
    assert deliver().sent == 0 and len(telegram.sent()) == 2


def test_a_changed_schedule_says_what_changed(polled, telegram):
    subscribe(102, (10, 1), language="en")
    polled.set_day("3.1", TODAY, off=[(19 * 60, 23 * 60)])
    services.poll_yasno()
    assert telegram.texts(102) == [
        "📅 The schedule for 03.12, group 3.1, changed: off 19:00–23:00 (4 hours). Before: off 18:00–22:00 (4 hours)."
    ]


def test_emergency_outages_are_announced(polled, telegram):
    subscribe(104, (11, 1), language="en")
    polled.set_day("3.2", TODAY, status="emergency")
    services.poll_yasno()
    [text] = telegram.texts(104)
    assert text.startswith("⚠️ Emergency outages declared for 03.12, group 3.2")


def test_quiet_hours_hold_a_schedule_notice_for_whoever_chose_to_wait(polled, telegram, clock):
    clock(23, 30)
    subscribe(101, (10, 1), quiet_start=time(23), quiet_end=time(7), hold_in_quiet_hours=True)
    subscribe(102, (10, 1), quiet_start=time(23), quiet_end=time(7))
    polled.set_day("3.1", TOMORROW, off=EVENING)
    services.poll_yasno()
    assert telegram.texts(101) == []
    [message] = Message.objects.filter(subscriber__chat_id=101)
    assert timezone.localtime(message.not_before, KYIV) == datetime(2026, 12, 4, 7, 0, tzinfo=KYIV)
    [silent] = telegram.sent(102)
    assert silent["disable_notification"] in (True, "true", "True")


def test_a_reminder_comes_once_the_chosen_minutes_before_a_planned_outage(polled, telegram, clock):
    subscribe(101, (10, 1), (10, 2), language="en", schedule_reminder=30)
    subscribe(102, (10, 1), language="en")  # no reminder chosen
    clock(17, 20)
    assert outbox.remind_planned_outages() == 0
    clock(17, 31)
    assert outbox.remind_planned_outages() == 1
    assert outbox.remind_planned_outages() == 0
    deliver()
    assert telegram.texts(101) == ["⏰ Planned outage soon, group 3.1: off 18:00–22:00."]
    clock(18, 5)
    assert outbox.remind_planned_outages() == 0  # under way: no reminder
    assert telegram.texts(102) == []


@pytest.fixture
def sensor_in_london(beat, clock):
    detect_offline()
    beat("a", building=10, section=1)
    return lambda: beat("a", building=10, section=1)


def outage_between(clock, beat_again, start: tuple[int, int], end: tuple[int, int]) -> None:
    """The sensor's last heartbeat at `start`; silence, the detector ticking every 10 s until it
    sees the outage; a heartbeat again at `end`."""
    clock(*start)
    detect_offline()
    beat_again()
    for second in range(10, 190, 10):
        clock(start[0], start[1] + second // 60, second % 60)
        detect_offline()
    clock(*end)
    beat_again()


@pytest.mark.parametrize(
    ("start", "end", "off_says", "back_says"),
    [
        (
            (18, 2),
            (20, 50),
            "Planned: off 18:00–22:00, back by 22:00 per schedule.",
            "1 hour 10 minutes earlier than planned (22:00).",
        ),
        ((17, 55), (22, 4), "Planned: off 18:00–22:00, back by 22:00 per schedule.", "As planned."),
        (
            (18, 30),
            (23, 15),
            "Planned: off 18:00–22:00, back by 22:00 per schedule.",
            "1 hour 15 minutes later than planned (22:00).",
        ),
        ((12, 0), (13, 0), "This is not in the schedule.", "It was not in the schedule."),
    ],
)
def test_power_notices_compare_with_the_schedule(
    polled, telegram, clock, sensor_in_london, start, end, off_says, back_says
):
    subscribe(101, (10, 1), language="en")
    outage_between(clock, sensor_in_london, start, end)
    off, back = telegram.texts(101)
    assert off.endswith(off_says) and back.endswith(back_says)


def test_without_a_schedule_power_notices_say_nothing_of_one(telegram, clock, make_building, beat):
    make_building(id=10, name="London", sections=1)
    subscribe(101, (10, 1), language="en")
    detect_offline()
    beat("a")
    outage_between(clock, lambda: beat("a"), (12, 0), (13, 0))
    off, back = telegram.texts(101)
    assert off.startswith("🔌 Power is off") and back.startswith("💡 Power is back")
    assert "schedule" not in off + back


def test_a_reminder_held_through_quiet_hours_is_dropped_once_the_outage_began(yasno, town, telegram, clock):
    yasno.today = TODAY
    yasno.set_day("3.1", TODAY, off=[(6 * 60, 10 * 60)])
    clock(4, 0)
    services.poll_yasno()
    subscribe(
        101,
        (10, 1),
        language="en",
        schedule_reminder=60,
        quiet_start=time(23),
        quiet_end=time(7),
        hold_in_quiet_hours=True,
    )
    clock(5, 1)
    assert outbox.remind_planned_outages() == 1
    clock(7, 0)
    deliver()
    assert telegram.texts(101) == []
    assert Message.objects.get().state == Message.State.SKIPPED


def test_a_building_in_another_zone_hears_every_interval_on_its_own_clock(yasno, make_building, telegram, clock):
    make_building(id=12, name="Lviv office", sections=1, schedule_group="3.1", timezone="Europe/London")
    yasno.today = TODAY
    yasno.set_day("3.1", TODAY, status="none")
    services.poll_yasno()
    subscribe(105, (12, 1), language="en")
    yasno.set_day("3.1", TOMORROW, off=[(0, 120), (600, 720)])
    services.poll_yasno()
    assert telegram.texts(105) == ["📅 Schedule for 04.12, group 3.1: off 03.12 22:00–24:00, 08:00–10:00 (4 hours)."]
