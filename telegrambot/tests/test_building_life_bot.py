"""The rest of the building's life in the real bot: the weather line on the card, the
neighbours' heating and water answers, and the building's contacts with its map."""

from __future__ import annotations

import html
import io
import zoneinfo
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from buildings.maps import prepared
from buildings.models import Building, Contact, Section
from conftest import subscribe
from neighbours.models import Report
from notifications.models import Subscriber, Subscription
from sensors.models import PowerCause, PowerState, SectionPower
from testsupport.fake_telegram import keyboard
from weather import services as weather

pytestmark = pytest.mark.django_db(transaction=True)

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def labels(call) -> list[str]:
    return [button["text"] for row in keyboard(call.params) for button in row]


def last_answer(telegram) -> dict[str, Any]:
    return telegram.wait_for(lambda: (calls := telegram.calls_to("answerCallbackQuery")) and calls[-1].params)


@pytest.fixture
def london(make_building, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 14, 5, tzinfo=KYIV))  # ticking: the bot's polls need time
    return make_building(id=10, name="London", sections=2)


@pytest.fixture
def olena(bot, london):
    subscribe(42, (london.pk, 1), language="en")
    return bot.user(42, language_code="en")


def power_off(building: int = 10, number: int = 1) -> None:
    section = Section.objects.get(building_id=building, number=number)
    SectionPower.objects.update_or_create(
        section=section, defaults={"state": PowerState.DOWN, "since": timezone.now(), "cause": PowerCause.TIMEOUT}
    )


# --- Weather ----------------------------------------------------------------------------------


def test_the_card_shows_the_weather_and_in_an_outage_the_coldest_hour_ahead(olena, open_meteo):
    open_meteo.set(50.5, 30.5, temperature=-2.4, code=3, hourly=[-2.0, -4.0, -7.6, -6.0])
    weather.poll()
    card = olena.send("/status").params["text"]
    assert "🌡 −2 °C, ☁️ overcast" in card and "down to" not in card
    power_off()
    card = olena.send("/status").params["text"]
    assert "🌡 −2 °C, ☁️ overcast; down to −8 °C by 16:00" in card  # 14:00 UTC on the building's clock


@pytest.mark.parametrize(
    ("hourly", "why"),
    [([-2.0, -2.2, -1.5], "no colder hour ahead"), ([-9.0], "the coldest hour has passed by the time it is shown")],
)
def test_the_coldest_hour_is_told_only_when_it_is_colder_and_ahead(olena, open_meteo, time_machine, hourly, why):
    open_meteo.set(50.5, 30.5, temperature=-2.4, code=3, hourly=hourly)
    weather.poll()
    power_off()
    time_machine.move_to(datetime(2026, 12, 3, 15, 10, tzinfo=KYIV))  # the forecast's first hour (14:00) is past
    assert "down to" not in olena.send("/status").params["text"], why


def test_weather_the_source_no_longer_gives_is_shown_with_its_age(olena, open_meteo, time_machine):
    open_meteo.set(50.5, 30.5, temperature=3.2, code=61)
    weather.poll()
    time_machine.move_to(datetime(2026, 12, 3, 14, 45, 10, tzinfo=KYIV))
    open_meteo.fail_next(status=502)
    assert weather.poll().failed
    card = olena.send("/status").params["text"]
    assert "🌡 +3 °C, 🌧 rain (as of 14:05, 40 minutes ago)" in card


def test_a_card_in_ukrainian_says_the_weather_in_ukrainian(bot, london, open_meteo):
    subscribe(44, (london.pk, 1), language="uk")
    open_meteo.set(50.5, 30.5, temperature=0.3, code=71)
    weather.poll()
    assert "🌡 0 °C, 🌨 сніг" in bot.user(44).send("/status").params["text"]


def test_no_weather_yet_means_no_weather_line(olena):
    assert "🌡" not in olena.send("/status").params["text"]


# --- Heating and water ------------------------------------------------------------------------


def test_an_answer_on_the_card_is_counted_and_the_latest_wins(olena, bot, london):
    card = olena.send("/status")
    assert labels(card)[-4:] == ["🔥 Heating: yes", "🔥 Heating: no", "💧 Water: yes", "💧 Water: no"]
    redrawn = olena.tap("🔥 Heating: no")
    assert redrawn.method == "editMessageText" and "🔥 Heating: 0 yes · 1 no ▱▱▱▱▱▱▱▱▱▱" in redrawn.params["text"]
    thanked = last_answer(bot)
    assert thanked["text"] == "Thank you: no heating." and thanked.get("show_alert") in (None, False, "false")
    redrawn = olena.tap("🔥 Heating: yes")  # she was wrong: the latest answer wins
    assert "🔥 Heating: 1 yes · 0 no ▰▰▰▰▰▰▰▰▰▰" in redrawn.params["text"]
    subscribe(43, (london.pk, 1), language="en")
    john = bot.user(43, language_code="en")
    john.send("/status")
    card = john.tap("🔥 Heating: no").params["text"]
    assert "🔥 Heating: 1 yes · 1 no ▰▰▰▰▰▱▱▱▱▱" in card and "Water" not in card
    assert Report.objects.count() == 2


def test_answers_stop_counting_when_the_power_changes(olena):
    olena.send("/status")
    olena.tap("💧 Water: no")
    power_off()
    assert "Water:" not in olena.send("/status").params["text"]


def test_a_resident_who_follows_nothing_is_asked_to_choose_a_section_first(bot, london):
    shown = bot.user(44, language_code="en").send("/report")
    assert shown.params["text"].startswith("Choose your section first")
    assert labels(shown) == ["London"] and not Report.objects.exists()


def test_report_asks_about_the_section_followed(olena):
    asked = olena.send("/report")
    assert "Do you have heating and water?" in asked.params["text"]
    assert labels(asked) == ["🔥 Heating: yes", "🔥 Heating: no", "💧 Water: yes", "💧 Water: no", "◀ Status"]
    card = olena.tap("💧 Water: no")
    assert "💧 Water: 0 yes · 1 no" in card.params["text"] and "Sensors online" in card.params["text"]


def test_several_sections_each_get_a_button_to_answer_about(olena, london):
    Subscription.objects.create(subscriber=Subscriber.objects.get(chat_id=42), section=london.sections.get(number=2))
    card = olena.send("/status")
    assert labels(card).count("🔥💧") == 2
    asked = olena.tap("🔥💧")
    assert "Do you have heating and water?" in asked.params["text"]


def test_an_answer_on_a_notice_is_thanked_and_leaves_the_notice_alone(olena, bot):
    section = Section.objects.get(building_id=10, number=1)
    olena.send("/menu")
    before = len(olena.replies())
    olena.press(f"rn:{section.pk}:heating:0", message_id=7, replies=0)
    assert last_answer(bot)["text"] == "Thank you: no heating."
    assert len(olena.replies()) == before  # nothing edited, nothing sent
    assert Report.objects.get().available is False


def test_an_answer_about_a_section_gone_is_a_stale_button(olena):
    shown = olena.press("rc:999999:water:1")
    assert "Sensors online" in shown.params["text"] and not Report.objects.exists()


# --- Contacts and the map ---------------------------------------------------------------------


def picture(size: tuple[int, int]) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", size, "navy").save(data, "PNG")
    data.seek(0)
    return data


@pytest.fixture
def listed(london):
    Contact.objects.create(building=london, position=2, role=Contact.Role.PLUMBER, phone="+380 44 000 00 02")
    Contact.objects.create(
        building=london, position=1, role=Contact.Role.ELECTRICIAN, label="Ivan", phone="+380671234567", hours="8–20"
    )
    Contact.objects.create(building=london, position=3, role=Contact.Role.MANAGEMENT, telegram="@london_office")
    Contact.objects.create(building=london, position=4, role=Contact.Role.LIFT, label="Lift dispatcher", phone="104")
    return london


def test_contacts_are_listed_in_order_with_numbers_to_tap(olena, listed):
    shown = olena.send("/contacts")
    assert shown.method == "sendMessage"
    assert shown.params["text"].splitlines() == [
        "📞 <b>Contacts of London</b>",
        "⚡ <b>Ivan (Electrician)</b>: +380671234567 · 8–20",
        "🔧 <b>Plumber</b>: +380440000002",
        "🏢 <b>Management office</b>: @london_office",
        "🛗 <b>Lift dispatcher</b>: 104",
    ]
    assert olena.send("📞 Contacts").params["text"] == shown.params["text"]  # the menu's button


def test_the_map_comes_with_the_contacts_uploaded_once_then_by_its_file_id(olena, listed):
    listed.set_map(prepared(picture((3000, 2000))))
    listed.save()
    first = olena.send("/contacts")
    assert first.method == "sendPhoto" and first.params["caption"].startswith("📞 <b>Contacts of London</b>")
    assert Image.open(io.BytesIO(first.params["photo"])).size == (1280, 853)  # as Telegram shows it
    # The bot remembers the file id after Telegram answers; updates run concurrently, so wait for it.
    olena.telegram.wait_for(lambda: Building.objects.filter(pk=10, telegram_file_id=first.params["_file_id"]).exists())
    again = olena.send("/contacts")
    assert again.params["photo"] == first.params["_file_id"] and len(olena.telegram.photos) == 1


def test_contacts_too_long_for_a_caption_follow_the_map(olena, listed):
    for n in range(12):
        Contact.objects.create(
            building=listed, role=Contact.Role.SECURITY, phone=f"+38050000000{n % 10}", note="x" * 90
        )
    listed.set_map(prepared(picture((400, 300))))
    listed.save()
    olena.send("/contacts", replies=2)
    photo, text = olena.replies()[-2:]
    assert photo.method == "sendPhoto" and photo.params["caption"] == "🗺 <b>London</b>"
    assert text.params["text"].count("🛡 <b>Security</b>") == 12


def test_a_building_without_contacts_says_so(olena):
    assert "No contacts listed for this building yet" in olena.send("/contacts").params["text"]


def test_contacts_without_a_section_followed_show_the_buildings(bot, london):
    shown = bot.user(45, language_code="en").send("/contacts")
    assert "You don't follow any section yet" in shown.params["text"] and labels(shown) == ["London"]


# --- Telegram's 4,096 characters ----------------------------------------------------------------


def test_ten_full_cards_that_would_not_fit_a_message_end_in_one_line_each(bot, make_building, open_meteo):
    """A manager following every section of a building with long names, in an outage, with
    the weather and answers: the first cards in full, the rest in a line each, one message."""
    building = make_building(id=11, name="Житловий комплекс " + "«Сонячний» " * 9, sections=10)
    Section.objects.filter(building=building).update(name="Під'їзд з боку двору " + "Б" * 90)
    subscriber = Subscriber.objects.create(chat_id=46, language="uk")
    for section in Section.objects.filter(building=building):
        Subscription.objects.create(subscriber=subscriber, section=section)
        power_off(11, section.number)
        for user in range(3):
            Report.objects.create(
                section=section, user_id=user, kind="heating", available=user > 0, reported_at=timezone.now()
            )
    open_meteo.set(50.5, 30.5, temperature=-12.4, code=71, hourly=[-13.0, -15.0, -17.6])
    weather.poll()
    card = bot.user(46).send("/status")
    text = html.unescape(card.params["text"])
    assert card.params.get("_accepted")
    assert text.count("Під'їзд з боку двору") == 10 and "🌡 −12 °C, 🌨 сніг; до −18 °C о" in text
    assert text.count("Датчиків на зв’язку в секції") < 10 and "Світла немає</b> з " in text


def test_more_contacts_than_a_message_holds_come_in_several(olena, london):
    for n in range(20):
        Contact.objects.create(
            building=london,
            position=n,
            role=Contact.Role.SECURITY,
            label=f"Security post {n} 🛡",
            phone="+380671234567",
            telegram="https://t.me/london_security_chat",
            hours="Mon–Fri 8:00–20:00, Sat 9:00–15:00",
            note="Call 8:00–20:00; at night only for an emergency 🙏 " * 3,
        )
    olena.send("/contacts", replies=2)
    first, second = olena.replies()[-2:]
    assert first.params.get("_accepted") and second.params.get("_accepted")
    shown = first.params["text"] + "\n" + second.params["text"]
    assert shown.count("🛡 <b>Security post") == 20 and first.params["text"].startswith("📞 <b>Contacts of London")
