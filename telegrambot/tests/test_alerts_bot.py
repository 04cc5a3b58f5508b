"""Air-raid alerts in the real bot: the card's and the menu's line, /alerts with today's
alerts and the shelters, a shelter's map sent once and then by its file id."""

from __future__ import annotations

import io
import zoneinfo
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from PIL import Image

from alerts import services
from buildings.admin import ShelterForm
from buildings.models import Shelter
from conftest import subscribe
from notifications.models import Subscriber, Subscription
from testsupport.fake_telegram import keyboard

pytestmark = pytest.mark.django_db(transaction=True)

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def labels(call) -> list[str]:
    return [button["text"] for row in keyboard(call.params) for button in row]


def png(colour: str) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(picture, "PNG")
    return picture.getvalue()


@pytest.fixture
def london(make_building, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 14, 5, tzinfo=KYIV))  # ticking: the bot's polls need time
    building = make_building(id=10, name="London", sections=2)
    parking = Shelter.objects.create(
        building=building,
        name="Parking -1",
        address="1 Main St",
        distance_m=80,
        opening_hours="during alerts",
        description="Enter from the yard.",
    )
    form = ShelterForm(
        {
            "name": parking.name,
            "address": parking.address,
            "distance_m": 80,
            "opening_hours": parking.opening_hours,
            "description": parking.description,
        },
        MultiValueDict({"map_upload": [SimpleUploadedFile("map.png", png("navy"), "image/png")]}),
        instance=parking,
    )
    assert form.is_valid(), form.errors
    form.save()
    Shelter.objects.create(building=building, name="Metro", distance_m=400)
    return building


@pytest.fixture
def olena(bot, london):
    subscribe(42, (london.pk, 1), language="en")
    return bot.user(42, language_code="en")


@pytest.fixture
def alert_now(alert_sources, london):
    in_ua, ukrainealarm = alert_sources
    services.poll()  # calm, first seen
    in_ua.set("31", "A")
    ukrainealarm.set("31", active=True)
    services.poll()
    return alert_sources


def test_the_card_and_the_menu_show_the_alert(olena, alert_now):
    assert "🚨 Air-raid alert since 14:05" in olena.send("/status").params["text"]
    assert "🚨 Air-raid alert since 14:05" in olena.send("/menu").params["text"]


def test_the_card_says_unknown_when_no_source_answers_and_nothing_without_sources(olena, alert_sources, settings):
    in_ua, ukrainealarm = alert_sources
    in_ua.fail_next(5)
    ukrainealarm.fail_next(5)
    services.poll()
    assert "❔ Air-raid alert state unknown" in olena.send("/status").params["text"]
    settings.ALERTS_IN_UA_API_KEY = settings.ALERTS_API_KEY = ""
    assert "ir-raid" not in olena.send("/status").params["text"]


def test_alerts_lists_todays_alerts_and_the_shelters(olena, alert_now, time_machine):
    in_ua, ukrainealarm = alert_now
    time_machine.move_to(datetime(2026, 12, 3, 14, 50, 30, tzinfo=KYIV))
    in_ua.set("31", "N")
    ukrainealarm.set("31", active=False)
    services.poll()
    shown = olena.send("/alerts")
    text = shown.params["text"]
    assert "🟢 No air-raid alert" in text
    assert "Today: 1 alert, 45 minutes in all" in text and "• 14:05–14:50" in text
    assert "🛡 Parking -1 (1 Main St, 80 m), during alerts" in text and "🛡 Metro (400 m)" in text
    assert labels(shown) == ["🛡 Parking -1", "🛡 Metro", "🔄 Refresh"]


def test_the_alerts_button_of_the_main_menu_opens_them_in_ukrainian(olena, alert_now):
    Subscriber.objects.filter(chat_id=42).update(language="uk")
    shown = olena.send("🚨 Тривоги")
    assert "🚨 Повітряна тривога з 14:05" in shown.params["text"]


def test_a_shelters_map_is_uploaded_once_then_sent_by_its_file_id(olena, london):
    olena.send("/alerts")
    first = olena.tap("🛡 Parking -1")
    assert first.method == "sendPhoto" and first.params["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "🛡 <b>Parking -1</b>" in first.params["caption"] and "Enter from the yard." in first.params["caption"]
    # The bot remembers the file id after Telegram answers; updates run concurrently, so wait for it.
    olena.telegram.wait_for(lambda: Shelter.objects.filter(telegram_file_id=first.params["_file_id"]).exists())
    again = olena.tap("🛡 Parking -1")
    assert again.params["photo"] == first.params["_file_id"]  # no second upload
    assert len(olena.telegram.photos) == 1
    parking = Shelter.objects.get(name="Parking -1")
    form = ShelterForm(
        {"name": parking.name},
        MultiValueDict({"map_upload": [SimpleUploadedFile("new.png", png("red"), "image/png")]}),
        instance=parking,
    )
    assert form.is_valid(), form.errors
    form.save()  # a new map: Telegram gets the new picture
    newer = olena.tap("🛡 Parking -1")
    assert isinstance(newer.params["photo"], bytes) and len(olena.telegram.photos) == 2


def test_a_shelter_without_a_map_shows_its_card_as_text(olena, london):
    olena.send("/alerts")
    shown = olena.tap("🛡 Metro")
    assert shown.method == "editMessageText" and "🛡 <b>Metro</b>" in shown.params["text"]
    back = olena.tap("◀ Alerts and shelters")
    assert "Shelters (press one for its card and map):" in back.params["text"]


def test_alert_notices_are_turned_off_in_notifications(olena):
    olena.send("/notifications")
    shown = olena.tap("🚨 Air-raid alerts: on")
    assert "🚨 Air-raid alerts: off" in labels(shown)
    assert Subscriber.objects.get(chat_id=42).alert_notices is False


def test_the_menu_names_each_building_followed_safely_in_telegrams_html(bot, london, alert_now, make_building):
    tower = make_building(id=11, name="Smith & Sons <Tower>", sections=1)
    subscriber = Subscriber.objects.create(chat_id=43, language="en")
    for building in (london, tower):
        Subscription.objects.create(subscriber=subscriber, section=building.sections.get(number=1))
    text = bot.user(43, language_code="en").send("/menu").params["text"]
    assert "Smith &amp; Sons &lt;Tower&gt;: 🚨 Air-raid alert since 14:05" in text
    assert "London: 🚨 Air-raid alert since 14:05" in text


def test_a_shelters_card_fits_a_photo_caption_whatever_its_fields(london):
    from html import unescape

    from django.utils.translation import override

    from telegrambot.texts import CAPTION_MAX, _telegram_length, shelter_card

    shelter = Shelter(
        building=london,
        name="Ш" * 120,
        address="🏠" * 250,
        distance_m=10**6,
        opening_hours="x" * 120,
        description="Опис 🚪 " * 100,
    )
    with override("uk"):
        card = shelter_card(shelter)
    visible = unescape(card.replace("<b>", "").replace("</b>", ""))
    assert _telegram_length(visible) <= CAPTION_MAX and visible.endswith("…")
    short = Shelter(building=london, name="Metro", description="Enter & go down.")
    assert shelter_card(short).endswith("Enter &amp; go down.")
