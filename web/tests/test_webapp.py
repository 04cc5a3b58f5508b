"""The Mini App's API: who Telegram's initData says opened it, and what they see and change.
The page itself, in a browser, is in test_in_browser.py."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import time as clock
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.urls import reverse

from buildings.models import Section
from notifications.models import Subscriber, Subscription
from notifications.services import chat_subscriber, follow
from telegrambot.application import build, introduce

pytestmark = pytest.mark.django_db

ME = reverse("webapp-me")
OLENA = 5001


def section_path(building: int = 10, number: int = 1) -> str:
    return reverse("webapp-section", args=[building, number])


def call(client, method: str, path: str, init_data: str, body: Any = None) -> Any:
    # In English unless the resident's language says otherwise (a refusal has no resident yet).
    kwargs: dict[str, Any] = {"HTTP_X_TELEGRAM_INIT_DATA": init_data, "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=body if isinstance(body, str) else json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


@pytest.fixture
def signed(telegram) -> str:
    return telegram.init_data(OLENA, language_code="en", first_name="Olena")


def test_the_resident_sees_their_settings_and_sections_with_their_state(client, telegram, signed, make_building, beat):
    make_building(id=10, name="London", sections=2)
    beat("a", 10, 2)
    subscriber = chat_subscriber(OLENA, "Olena", "en")
    follow(subscriber, Section.objects.get(building_id=10, number=2))
    answer = call(client, "get", ME, signed)
    assert answer.status_code == 200
    me = answer.json()
    assert (me["chat_id"], me["language"], me["quiet_hours"], me["schedule_reminder"]) == (OLENA, "en", None, None)
    assert me["broadcasts"] and me["schedule_notices"] and me["alert_notices"] and not me["hold_in_quiet_hours"]
    assert me["active"] is True
    (section,) = me["sections"]
    assert section["building"] == {"id": 10, "name": "London", "timezone": "Europe/Kyiv"}
    assert (section["number"], section["state"], section["state_text"]) == (2, "up", "Power on")
    assert section["power_notifications"] is True and section["since"] is not None


def test_the_first_visit_makes_the_chats_subscriber_in_the_users_language(client, telegram):
    answer = call(client, "get", ME, telegram.init_data(OLENA, language_code="en-GB", first_name="Olena"))
    assert answer.status_code == 200 and answer.json()["sections"] == []
    assert Subscriber.objects.filter(chat_id=OLENA, language="en", name="Olena").exists()


def _tampered(telegram) -> str:
    fields = dict(parse_qsl(telegram.init_data(OLENA)))
    fields["user"] = fields["user"].replace(str(OLENA), "5002")
    return urlencode(fields)


def _without_hash(telegram) -> str:
    fields = dict(parse_qsl(telegram.init_data(OLENA)))
    del fields["hash"]
    return urlencode(fields)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda telegram: "", "No Telegram initData"),
        (lambda telegram: "garbage", "malformed"),
        (lambda telegram: "hash=&&&", "malformed"),
        (_without_hash, "malformed"),
        (lambda telegram: telegram.init_data(OLENA) + "&hash=00", "malformed"),  # a second hash
        (lambda telegram: telegram.init_data(OLENA, token="123456:ANOTHER-BOT"), "not signed"),
        (_tampered, "not signed"),
        (lambda telegram: telegram.init_data(OLENA, signed_at=time.time() - 3601), "expired"),
        (lambda telegram: telegram.init_data(OLENA, signed_at=time.time() + 600), "expired"),
        (lambda telegram: telegram.init_data(2**63), "names no user"),
        (lambda telegram: telegram.init_data(10**30), "names no user"),
        (lambda telegram: telegram.init_data(0), "names no user"),
        (lambda telegram: telegram.init_data(-1001234), "names no user"),  # a group chat's id
        (lambda telegram: telegram.init_data(OLENA, auth_date=f" {int(time.time())}"), "no time"),
        (lambda telegram: telegram.init_data(OLENA, auth_date=f"+{int(time.time())}"), "no time"),
        (lambda telegram: telegram.init_data(OLENA, auth_date="١٧٣٣٢٨٠٠٠٠"), "no time"),  # Arabic-Indic digits
    ],
    ids=[
        "missing",
        "garbage",
        "empty-fields",
        "no-hash",
        "two-hashes",
        "other-bot",
        "tampered",
        "old",
        "future",
        "id-past-bigint",
        "id-huge",
        "id-zero",
        "id-group",
        "date-spaced",
        "date-signed",
        "date-other-digits",
    ],
)
def test_initdata_missing_forged_or_expired_is_401_and_creates_nobody(client, telegram, make, said):
    answer = call(client, "get", ME, make(telegram))
    assert answer.status_code == 401
    assert said in answer.json()["message"]
    assert answer["WWW-Authenticate"] == 'TelegramInitData realm="webapp"'
    assert not Subscriber.objects.exists()


def test_a_refusal_speaks_the_browsers_language(client, telegram):
    answer = client.get(ME, HTTP_X_TELEGRAM_INIT_DATA="garbage", HTTP_ACCEPT_LANGUAGE="uk")
    assert answer.status_code == 401 and answer.json()["message"] == "Дані Telegram (initData) пошкоджено."


@pytest.mark.parametrize("name", ["Ol\x00ena", "Olena \ud800"])
def test_a_name_no_database_can_store_is_cleaned_not_a_500(client, telegram, name):
    answer = call(client, "get", ME, telegram.init_data(OLENA, first_name=name))
    assert answer.status_code == 200
    stored = Subscriber.objects.get(chat_id=OLENA).name
    assert "\x00" not in stored and stored.startswith("Ol")


def test_the_age_limit_is_a_setting(client, telegram, settings):
    settings.WEBAPP_INITDATA_MAX_AGE_SEC = 60
    assert call(client, "get", ME, telegram.init_data(OLENA, signed_at=time.time() - 50)).status_code == 200
    assert call(client, "get", ME, telegram.init_data(OLENA, signed_at=time.time() - 70)).status_code == 401


def test_without_a_bot_token_the_api_says_what_is_missing(client, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    answer = call(client, "get", ME, "anything")
    assert answer.status_code == 503 and "TELEGRAM_BOT_TOKEN" in answer.json()["message"]


def test_settings_change_through_the_bots_rules(client, signed):
    changed = call(
        client,
        "patch",
        ME,
        signed,
        {
            "language": "uk",
            "broadcasts": False,
            "alert_notices": False,
            "hold_in_quiet_hours": True,
            "quiet_hours": {"start": "23:00", "end": "07:00"},
            "schedule_reminder": 30,
        },
    )
    assert changed.status_code == 200
    assert changed.json()["quiet_hours"] == {"start": "23:00", "end": "07:00"}
    subscriber = Subscriber.objects.get(chat_id=OLENA)
    assert (subscriber.language, subscriber.broadcasts, subscriber.alert_notices, subscriber.schedule_notices) == (
        "uk",
        False,
        False,
        True,
    )
    assert (subscriber.quiet_start, subscriber.quiet_end, subscriber.schedule_reminder) == (clock(23), clock(7), 30)
    assert subscriber.hold_in_quiet_hours
    cleared = call(client, "patch", ME, signed, {"quiet_hours": None, "schedule_reminder": None})
    assert cleared.json()["quiet_hours"] is None and cleared.json()["schedule_reminder"] is None


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"colour": "red"}, "Not a setting: colour"),
        ({}, "Nothing to change"),
        ({"language": "de"}, "language"),
        ({"broadcasts": "perhaps"}, "broadcasts"),
        ({"quiet_hours": {"start": "23:00", "end": "23:00"}}, "differ"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "start"),
        ({"quiet_hours": "23-7"}, "quiet_hours"),
        ({"schedule_reminder": 7}, "schedule_reminder"),
        ({"language": "en", "schedule_reminder": 7}, "schedule_reminder"),  # all or nothing
        ("not json", "Invalid JSON"),
        ("[1, 2]", "Invalid JSON"),
    ],
)
def test_a_bad_setting_is_400_with_the_reason_and_changes_nothing(client, signed, body, said):
    call(client, "get", ME, signed)
    answer = call(client, "patch", ME, signed, body)
    assert answer.status_code == 400
    assert said in answer.json()["message"]
    subscriber = Subscriber.objects.get(chat_id=OLENA)
    assert (subscriber.language, subscriber.broadcasts, subscriber.quiet_start, subscriber.schedule_reminder) == (
        "en",
        True,
        None,
        None,
    )


def test_following_switching_and_stopping_a_section(client, signed, make_building):
    make_building(id=10, sections=2)
    first = call(client, "put", section_path(10, 2), signed)
    assert first.status_code == 201 and [s["number"] for s in first.json()["sections"]] == [2]
    assert call(client, "put", section_path(10, 2), signed).status_code == 200  # again: nothing new
    muted = call(client, "patch", section_path(10, 2), signed, {"power_notifications": False})
    assert muted.json()["sections"][0]["power_notifications"] is False
    assert not Subscription.objects.get(subscriber__chat_id=OLENA).power
    stopped = call(client, "delete", section_path(10, 2), signed)
    assert stopped.status_code == 200 and stopped.json()["sections"] == []
    assert not Subscription.objects.exists()
    again = call(client, "delete", section_path(10, 2), signed)  # a second tap: already so
    assert again.status_code == 200 and again.json()["sections"] == []


def test_errors_speak_the_residents_language_not_the_browsers(client, telegram, make_building):
    make_building(id=10, sections=2)
    chat_subscriber(OLENA, "Olena", "uk")
    answer = client.patch(
        section_path(10, 1),
        json.dumps({"power_notifications": False}),
        content_type="application/json",
        HTTP_X_TELEGRAM_INIT_DATA=telegram.init_data(OLENA),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 404 and answer.json()["message"] == "Ви не стежите за цією секцією."
    english = client.patch(
        ME,
        "{}",
        content_type="application/json",
        HTTP_X_TELEGRAM_INIT_DATA=telegram.init_data(OLENA),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["message"] == "Нічого змінювати."


def test_following_and_unfollowing_at_once_never_fails(at_once, telegram, make_building, transactional_db):
    from django.test import Client

    make_building(id=10, sections=1)
    signed = telegram.init_data(OLENA)
    chat_subscriber(OLENA, "Olena", "uk")
    answers: list[int] = []
    turns = iter(["put", "delete"] * 4)

    def tap() -> None:  # four threads follow, four unfollow, the same section of the same resident
        client, method = Client(), next(turns)
        answers.extend(call(client, method, section_path(10, 1), signed).status_code for _ in range(25))

    at_once(tap, 8)
    assert set(answers) <= {200, 201} and len(answers) == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("put", section_path(10, 9), None, 404),
        ("put", section_path(11, 1), None, 404),
        ("put", reverse("webapp-section", args=[9999999999, 1]), None, 404),
        ("patch", section_path(10, 1), {"power_notifications": False}, 404),
        ("patch", section_path(10, 1), {"power_notifications": "no"}, 400),
        ("patch", section_path(10, 1), {"power_notifications": True, "more": 1}, 400),
    ],
)
def test_sections_that_do_not_exist_or_are_not_followed_are_refused(
    client, signed, make_building, method, path, body, status
):
    make_building(id=10, sections=2)
    assert call(client, method, path, signed, body).status_code == status
    assert not Subscription.objects.exists()


def test_the_building_list_offers_every_building_and_its_sections(client, signed, make_building):
    make_building(id=10, name="London", sections=2)
    make_building(id=11, name="Berlin", sections=1)
    listing = call(client, "get", reverse("webapp-buildings"), signed).json()
    assert [(b["id"], [s["number"] for s in b["sections"]]) for b in listing] == [(11, [1]), (10, [1, 2])]
    assert listing[1]["sections"][0]["name"] == "Section 1"  # in the resident's language


def test_only_one_of_several_first_follows_at_once_is_told_it_is_new(
    at_once, telegram, make_building, transactional_db
):
    from django.test import Client

    make_building(id=10, sections=1)
    signed = telegram.init_data(OLENA)
    chat_subscriber(OLENA, "Olena", "uk")
    answers: list[int] = []
    at_once(lambda: answers.append(call(Client(), "put", section_path(10, 1), signed).status_code), 8)
    assert sorted(answers) == [200] * 7 + [201]
    assert Subscription.objects.count() == 1


def test_the_mini_app_page_may_be_framed_by_telegram_only(client):
    page = client.get(reverse("mini-app"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "X-Frame-Options" not in page
    policy = dict(directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "https://web.telegram.org"
    assert policy["script-src"] == "'self' https://telegram.org"  # Telegram's own script, and ours
    assert "My power" in page.content.decode()
    assert "Моє світло" in client.get(reverse("mini-app") + "?lang=uk").content.decode()


def introduce_the_bot() -> None:
    """What `runbot` does to Telegram as it starts, against the fake Telegram."""
    application = build()

    async def run() -> None:
        await application.initialize()
        await introduce(application)
        await application.shutdown()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("site", "button"), [("https://power.example.org", "web_app"), ("http://127.0.0.1:8000", "commands")]
)
def test_the_bot_sets_its_menu_button_to_the_mini_app_over_https(settings, telegram, transactional_db, site, button):
    settings.SITE_URL = site
    introduce_the_bot()
    (call_,) = telegram.calls_to("setChatMenuButton")
    menu = json.loads(call_.params["menu_button"])
    assert menu["type"] == button
    if button == "web_app":
        assert menu["web_app"] == {"url": "https://power.example.org/app/"}


def test_a_menu_button_telegram_refuses_leaves_the_bot_running(settings, telegram, transactional_db, caplog):
    settings.SITE_URL = "https://power.example.org"
    telegram.refuse_next(status=400, description="Bad Request: BUTTON_URL_INVALID", method="setChatMenuButton")
    introduce_the_bot()
    assert telegram.calls_to("setMyCommands")  # the rest of the introduction went on
    assert "menu button not set to the Mini App at https://power.example.org/app/" in caplog.text
