"""The real bot, polling the fake Telegram: what residents and operators see."""

from __future__ import annotations

import json
import logging

import pytest

from buildings.models import Building, Section
from notifications.models import Subscriber, Subscription
from sensors.models import PowerState
from sensors.power import set_section_state
from testsupport.fake_telegram import keyboard

pytestmark = pytest.mark.django_db(transaction=True)


def labels(call) -> list[str]:
    return [button["text"] for row in keyboard(call.params) for button in row]


def follows(chat_id: int) -> list[tuple[int, int]]:
    return list(
        Subscription.objects.filter(subscriber__chat_id=chat_id).values_list("section__building_id", "section__number")
    )


@pytest.fixture
def london(make_building):
    return make_building(id=10, name="London", sections=3)


def test_first_time_user_in_ukrainian_chooses_building_and_section(bot, london):
    olena = bot.user(42, language_code="uk")
    choice = olena.send("/start", replies=2)
    welcome = olena.replies()[0]
    assert welcome.params["text"].startswith("Вітаю!")
    assert "💡 Стан" in labels(welcome)  # the main menu, in Ukrainian
    assert labels(choice) == ["London"]

    sections = olena.tap("London")
    assert sections.method == "editMessageText"  # buttons edit in place
    assert labels(sections) == ["Секція 1", "Секція 2", "Секція 3", "◀ Будинки"]
    card = olena.tap("Секція 2")
    assert card.method == "editMessageText"
    assert "✅" in card.params["text"] and "London, Секція 2" in card.params["text"]
    assert follows(42) == [(10, 2)]
    assert Subscriber.objects.get(chat_id=42).language == "uk"


def test_first_time_user_in_english_is_answered_in_english(bot, london):
    john = bot.user(43, language_code="en-GB")
    john.send("/start", replies=2)
    welcome = john.replies()[0]
    assert welcome.params["text"].startswith("Hello!")
    assert labels(welcome) == [
        "💡 Status",
        "📊 Statistics",
        "🔔 Notifications",
        "🏠 Add a section",
        "🚨 Alerts",
        "📞 Contacts",
        "❓ Help",
    ]
    john.tap("London")
    card = john.tap("Section 1")
    assert "You will be told when power goes off or comes back in London, Section 1" in card.params["text"]
    assert Subscriber.objects.get(chat_id=43).language == "en"


def test_deep_link_to_a_section_follows_it_and_shows_its_status(bot, london):
    olena = bot.user(42, language_code="en")
    followed = olena.send("/start place_10_3", replies=2)
    assert "London, Section 3" in followed.params["text"]
    card = bot.wait_for(lambda: olena.replies()[1] if len(olena.replies()) > 1 else None)
    assert "Power state unknown" in card.params["text"]
    assert follows(42) == [(10, 3)]


def test_deep_link_to_a_building_opens_its_sections(bot, london):
    olena = bot.user(42, language_code="en")
    choice = olena.send("/start place_10", replies=2)
    assert labels(choice) == ["Section 1", "Section 2", "Section 3", "◀ Buildings"]
    assert follows(42) == []


@pytest.mark.parametrize("payload", ["place_99", "place_10_7"])
def test_deep_link_to_an_unknown_place_falls_back_to_the_choice_with_a_note(bot, london, payload):
    olena = bot.user(42, language_code="en")
    choice = olena.send(f"/start {payload}", replies=2)
    assert "The link names a building or section I don't know" in olena.replies()[0].params["text"]
    assert "London" in labels(choice) or "Section 1" in labels(choice)
    assert follows(42) == []


def test_status_card_of_a_powered_section(bot, london, make_sensor, beat):
    make_sensor("a", section=1)
    make_sensor("b", section=1)
    make_sensor("c", section=2)
    beat("a", section=1)
    beat("c", section=2)
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    card = olena.send("/status").params["text"]
    assert "💡 <b>Power is on</b>" in card
    assert "Since " in card
    assert "Sensors online in the section: 1/2 ▰▰▰▰▰▱▱▱▱▱" in card
    assert "Sensors online in the building: 2/3 ▰▰▰▰▰▰▰▱▱▱" in card
    assert "Updated at " in card


def test_status_card_of_a_section_without_power(bot, london, make_sensor, beat, elapse):
    make_sensor("a", section=1)
    beat("a", section=1)
    elapse(120)
    beat("a", section=1)
    elapse(300)
    olena = bot.user(42, language_code="uk")
    olena.send("/start place_10_1", replies=2)
    card = olena.send("/status").params["text"]
    assert "🔌 <b>Світла немає</b>" in card
    assert "Датчиків на зв’язку в секції: 0/1 ▱▱▱▱▱▱▱▱▱▱" in card
    assert "З " in card and "(5 хвилин)" in card  # down since the last heartbeat
    assert "До того світло було 2 хвилини" in card  # on from the first heartbeat to the last


def test_status_card_says_why_the_state_is_unknown(bot, london, make_sensor):
    make_sensor("a", section=1)
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    set_section_state(Section.objects.get(building_id=10, number=1), PowerState.UNKNOWN, "checking the meter", "ops")
    card = olena.send("/status").params["text"]
    assert "Power state unknown</b>: set so by an operator" in card


def test_status_without_a_followed_section_offers_the_choice(bot, london):
    answer = bot.user(42, language_code="en").send("/status")
    assert answer.params["text"].startswith("You don't follow any section yet.")
    assert labels(answer) == ["London"]


def test_refresh_edits_the_card_in_place(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    olena.send("/status")
    refreshed = olena.tap("🔄")
    assert refreshed.method == "editMessageText"
    assert "London, Section 1" in refreshed.params["text"]


def test_status_card_leads_to_the_notifications_screen(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    olena.send("/status")
    screen = olena.tap("🔔 Notifications")
    assert screen.method == "editMessageText"
    assert screen.params["text"].startswith("🔔 <b>Notifications</b>")


def test_blank_text_is_not_a_search(bot, london):
    assert bot.user(42, language_code="en").send("   ").params["text"].startswith("I didn't understand that.")


def test_stats_come_as_a_chart_and_switch_period_in_place(bot, london, make_sensor, beat, elapse):
    make_sensor("a", section=1)
    beat("a", section=1)
    elapse(300)
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    chart = olena.send("/stats")
    assert chart.method == "sendPhoto"
    assert chart.params["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "today" in chart.params["caption"]
    assert "1 outage" in chart.params["caption"]
    assert labels(chart) == ["• today", "this week", "this month"]
    week = olena.tap("this week")
    assert week.method == "editMessageMedia"
    media = json.loads(week.params["media"])
    assert "this week" in media["caption"]


def test_stats_with_a_bad_period_explains_the_choices(bot, london):
    answer = bot.user(42, language_code="en").send("/stats year")
    assert answer.params["text"] == "Write /stats day, /stats week or /stats month."


def test_quiet_hours_are_set_and_ended(bot, london):
    olena = bot.user(42, language_code="en")
    assert "Quiet hours 23:00–07:00" in olena.send("/quiet 23 7").params["text"]
    subscriber = Subscriber.objects.get(chat_id=42)
    assert subscriber.quiet_start is not None and subscriber.quiet_end is not None
    assert (subscriber.quiet_start.hour, subscriber.quiet_end.hour) == (23, 7)
    assert olena.send("/quiet off").params["text"].startswith("Quiet hours: none.")
    assert Subscriber.objects.get(chat_id=42).quiet_start is None


@pytest.mark.parametrize("words", ["25 7", "7 7", "7 07", "late", "23"])
def test_bad_quiet_hours_get_the_usage_and_change_nothing(bot, london, words):
    olena = bot.user(42, language_code="en")
    olena.send("/quiet 22 6")
    answer = olena.send(f"/quiet {words}")
    assert answer.params["text"].startswith("Write /quiet START END")
    quiet_start = Subscriber.objects.get(chat_id=42).quiet_start
    assert quiet_start is not None and quiet_start.hour == 22


def test_unsubscribe_stops_every_section(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    olena.send("/start place_10_2", replies=2)
    assert olena.send("/unsubscribe").params["text"].startswith("You no longer follow 2 sections.")
    assert follows(42) == []


def test_notifications_screen_switches_kinds_and_unfollows(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    olena.send("/start place_10_2", replies=2)
    screen = olena.send("/notifications")
    assert labels(screen)[:4] == ["🔔 London, Section 1", "✖", "🔔 London, Section 2", "✖"]
    switched = olena.tap("🔔 London, Section 1")
    assert "🔕 London, Section 1" in labels(switched)
    assert not Subscription.objects.get(subscriber__chat_id=42, section__number=1).power
    olena.tap("📢 Announcements: on")
    assert not Subscriber.objects.get(chat_id=42).broadcasts
    olena.press(f"nu:{Section.objects.get(building_id=10, number=2).pk}", message_id=switched.params["message_id"])
    assert follows(42) == [(10, 1)]


def test_language_is_switched_with_a_new_main_menu(bot, london):
    olena = bot.user(42, language_code="uk")
    olena.send("/language")
    menu = olena.tap("English", replies=2)
    assert olena.replies()[-2].params["text"] == "Done: I will write in English."
    assert "💡 Status" in labels(menu)
    assert Subscriber.objects.get(chat_id=42).language == "en"
    assert olena.send("💡 Status").params["text"].startswith("You don't follow any section yet.")


def test_free_text_searches_buildings_by_name(bot, london, make_building):
    make_building(id=11, name="Paris", sections=1)
    olena = bot.user(42, language_code="en")
    found = olena.send("pari")
    assert found.params["text"].startswith("1 building matches “pari”")
    assert labels(found) == ["Paris", "🏠 All buildings"]
    followed = olena.tap("Paris")  # one section only: followed at once
    assert "London" not in followed.params["text"] and follows(42) == [(11, 1)]
    assert olena.send("hello there").params["text"].startswith("I didn't understand that.")


def test_unknown_command_gets_help(bot, london):
    assert bot.user(42, language_code="en").send("/weather").params["text"] == "I don't know that command. See /help."


def test_myid_tells_the_telegram_id(bot, london):
    assert "<code>42</code>" in bot.user(42, language_code="en").send("/myid").params["text"]


def test_a_button_for_a_deleted_building_gets_a_polite_note(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start", replies=2)
    Building.objects.filter(pk=10).delete()
    listing = olena.tap("London")
    answer = bot.calls_to("answerCallbackQuery")[-1].params
    assert answer["text"] == "That building is no longer listed. Choose again."
    assert answer["show_alert"] in (True, "true", "True")
    assert listing.params["text"].startswith("🏠 Choose your building")


@pytest.mark.parametrize("data", ["zzz", "s:abc", "f:10:999999", "l:de"])
def test_forged_button_data_gets_a_polite_answer(bot, london, data):
    olena = bot.user(42, language_code="en")
    olena.press(data)
    answer = bot.calls_to("answerCallbackQuery")[-1].params
    assert answer["text"] == "This button is out of date. Here is the current view."
    assert follows(42) == []
    assert Subscriber.objects.get(chat_id=42).language == "en"


def test_a_failing_handler_apologises_and_the_next_update_works(bot, london, caplog):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    Building.objects.filter(pk=10).update(timezone="Mars/Olympus")  # bad data slipped past validation
    with caplog.at_level(logging.ERROR, logger="telegrambot.handlers"):
        apology = olena.send("/status")
    assert apology.params["text"] == "Sorry, something went wrong on our side. Please try again in a minute."
    assert "chat 42 failed: message '/status'" in caplog.text
    assert olena.send("/help").params["text"].startswith("I tell you whether your building has electricity.")


def test_a_user_who_blocked_the_bot_is_deactivated(bot, london):
    olena = bot.user(42, language_code="en")
    olena.send("/start place_10_1", replies=2)
    bot.block(42)
    bot.push(
        {
            "message": {
                "message_id": 900,
                "date": 0,
                "text": "/help",
                "chat": {"id": 42, "type": "private"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "from": olena.profile,
            }
        }
    )
    bot.wait_for(lambda: not Subscriber.objects.get(chat_id=42).active)
    assert Subscriber.objects.get(chat_id=42).deactivated_reason.startswith("Forbidden: bot was blocked")


def test_start_brings_a_deactivated_chat_back(bot, london):
    Subscriber.objects.create(chat_id=42, active=False, deactivated_reason="blocked the bot")
    bot.user(42, language_code="en").send("/start", replies=2)
    assert Subscriber.objects.get(chat_id=42).active


def test_operator_gets_the_fleet_summary_and_admin_link(bot, london, make_sensor, settings):
    settings.ADMIN_TELEGRAM_IDS = frozenset({7})
    settings.SITE_URL = "https://power.example.org"
    make_sensor("a", section=1)
    summary = bot.user(7, language_code="en").send("/admin").params["text"]
    assert "Sensors offline: 1 of 1" in summary
    # What the admin's "Now" page says, in short.
    assert "Boards silent 6 h or more while their section has power: 0" in summary
    assert "Messages waiting to be sent: 0; failed in the last hour: 0" in summary
    assert "The offline detector has never run" in summary
    assert "https://power.example.org/admin/" in summary
    assert bot.user(8, language_code="en").send("/admin").params["text"] == "I don't know that command. See /help."
