"""The schedule in the real bot: the card's line, /schedule with its picture, and the choices."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest

from conftest import subscribe
from notifications.models import Subscriber, Subscription
from schedules import services
from schedules.files import import_file
from testsupport.fake_telegram import keyboard

pytestmark = pytest.mark.django_db(transaction=True)

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def labels(call) -> list[str]:
    return [button["text"] for row in keyboard(call.params) for button in row]


@pytest.fixture
def london(make_building, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV))  # ticking: the bot's polls need time
    building = make_building(id=10, name="London", sections=2, schedule_group="3.1")
    import_file(
        """
days:
  - {group: "3.1", date: 2026-12-03, off: ["08:00-12:00", "18:00-22:00"]}
""",
        "yaml",
    )
    return building


@pytest.fixture
def olena(bot, london):
    subscribe(42, (london.pk, 1), language="en")
    return bot.user(42, language_code="en")


def test_the_card_says_when_the_power_comes_back_per_schedule(olena):
    card = olena.send("/status")
    text = card.params["text"]
    assert "📅 Per schedule back at 12:00, in 3 hours; planned off today: 8 hours" in text
    assert "📅 Schedule" in labels(card)


def test_the_card_says_the_next_planned_outage(olena, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 15, 50, tzinfo=KYIV))
    text = olena.send("/status").params["text"]
    assert "📅 Planned off 18:00–22:00, in 2 hours 10 minutes; planned off today: 8 hours" in text


def test_schedule_shows_today_and_tomorrow_with_a_picture(olena):
    shown = olena.send("/schedule")
    assert shown.method == "sendPhoto"
    assert shown.params["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    caption = shown.params["caption"]
    assert "London, Section 1</b>, planned outages, group 3.1" in caption
    assert "<b>Today, 03.12</b>: off 8 hours" in caption
    assert "🔌 08:00–12:00 (4 hours)" in caption and "🔌 18:00–22:00 (4 hours)" in caption
    assert "💡 on 00:00–08:00, 12:00–18:00, 22:00–24:00" in caption
    assert "<b>Tomorrow, 04.12</b>: no schedule yet" in caption
    again = olena.tap("🔄 Refresh")
    assert again.method == "editMessageMedia"


def test_the_schedule_button_on_the_card_opens_it_in_ukrainian(olena):
    Subscriber.objects.filter(chat_id=42).update(language="uk")
    olena.send("/status")
    shown = olena.tap("📅 Графік")
    assert shown.method == "sendPhoto"
    assert "<b>Сьогодні, 03.12</b>: без світла 8 годин" in shown.params["caption"]


def test_a_section_without_a_group_says_so(bot, make_building, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV))
    building = make_building(id=11, name="Paris", sections=1)
    subscriber = Subscriber.objects.create(chat_id=43, language="en")
    Subscription.objects.create(subscriber=subscriber, section=building.sections.get())
    shown = bot.user(43, language_code="en").send("/schedule")
    assert "no schedule group yet" in shown.params["text"]
    assert "📅" not in bot.user(43).send("/status").params["text"].split("\n", 2)[-1].replace("📅 Schedule", "")


def test_old_data_from_a_failing_source_shows_its_age(bot, make_building, yasno, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV))
    building = make_building(id=12, name="Kyiv", sections=1, schedule_group="1.1")
    yasno.today = date(2026, 12, 3)
    yasno.set_day("1.1", date(2026, 12, 3), off=[(20 * 60, 24 * 60)])
    services.poll_yasno()
    subscriber = Subscriber.objects.create(chat_id=44, language="en")
    Subscription.objects.create(subscriber=subscriber, section=building.sections.get())
    assert "as of" not in bot.user(44).send("/status").params["text"]
    time_machine.move_to(datetime(2026, 12, 3, 11, 0, tzinfo=KYIV))  # polls failed for two hours
    text = bot.user(44).send("/status").params["text"]
    assert "📅 Planned off 20:00–24:00, in 9 hours; planned off today: 4 hours (as of 09:00)" in text


def test_schedule_notices_and_the_reminder_are_chosen_in_notifications(olena):
    screen = olena.send("/notifications")
    assert "📅 Schedule notices: on" in labels(screen)
    assert "⏰ Reminder before planned outages: off" in labels(screen)
    olena.tap("📅 Schedule notices")
    screen = olena.tap("⏰ Reminder")
    assert "⏰ Reminder before planned outages: 15 minutes" in labels(screen)
    olena.tap("⏰ Reminder")
    subscriber = Subscriber.objects.get(chat_id=42)
    assert (subscriber.schedule_notices, subscriber.schedule_reminder) == (False, 30)


def test_an_emergency_day_says_so_on_the_card(bot, make_building, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=KYIV))
    building = make_building(id=13, name="Odesa", sections=1, schedule_group="5.2")
    import_file('[{"group": "5.2", "date": "2026-12-03", "status": "emergency"}]', "json")
    subscriber = Subscriber.objects.create(chat_id=45, language="en")
    Subscription.objects.create(subscriber=subscriber, section=building.sections.get())
    assert "⚠️ Emergency outages today: the schedule does not apply" in bot.user(45).send("/status").params["text"]
