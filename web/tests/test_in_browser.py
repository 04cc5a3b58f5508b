"""The status page, the Mini App and the badges in a real browser (the system's headless
Chromium), served by the live test server with heartbeats posted over HTTP as firmware
does. Screenshots land in var/screenshots/ for a person to look at."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from alerts import regions
from alerts import services as alerts
from alerts.models import Source as AlertSource
from buildings.models import Section
from conftest import WRITE_KEY
from notifications.models import Subscriber
from notifications.services import chat_subscriber, follow
from schedules import services as schedules
from schedules.models import DayStatus
from schedules.models import Source as ScheduleSource
from schedules.yasno import DayPlan
from sensors.models import PowerState
from sensors.power import detect_offline, set_section_state
from testsupport.fake_telegram import keyboard
from testsupport.loopback import LoopbackServer

pytestmark = pytest.mark.django_db(transaction=True)

OLENA = 5001
KYIV = ZoneInfo("Europe/Kyiv")
ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}  # another origin stands in for another server process


@pytest.fixture
def other_origins(settings) -> None:
    """The page may also ask the loopback servers that stand in for other server processes (in
    production it asks its own origin only, which is all the Content-Security-Policy allows)."""
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "connect-src": ["'self'", "http://127.0.0.1:*"]}}


WAIT = 30  # seconds: the page asks every STATUS_REFRESH_SEC, and its document is up to 5 s old


@pytest.fixture(autouse=True)
def _quick_refresh(settings) -> None:
    settings.STATUS_REFRESH_SEC = 1


def heartbeat(server: Any, uuid: str, building: int = 10, section: int = 1) -> None:
    body = {"api_key": WRITE_KEY, "building_id": building, "section_id": section, "sensor_uuid": uuid}
    request = urllib.request.Request(
        f"{server.url}{reverse('heartbeat')}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def state_of(browser: Any, number: int) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, f'[data-section="{number}"]').get_attribute("data-state"))


def until(browser: Any, condition: Any, seconds: float = WAIT) -> Any:
    """`condition(browser)` once it holds; the page may redraw its sections while it is read."""
    wait = WebDriverWait(browser, seconds, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(lambda b: condition(b))


def minutes(text: str) -> int:
    """ "2 h 28 min" -> 148."""
    found = re.fullmatch(r"(?:(\d+) h)? ?(?:(\d+) min)?", text.strip())
    assert found is not None, text
    return int(found[1] or 0) * 60 + int(found[2] or 0)


def test_the_page_shows_heartbeats_and_changes_by_itself_after_a_power_event(
    live_server, browser_for, make_building, settings, screenshots
):
    settings.SENSOR_TIMEOUT_SEC = 3
    make_building(id=10, name="Sunny 12", sections=3, public=True, address="12 Sunny St", timezone="Europe/Kyiv")
    heartbeat(live_server, "a", 10, 1)
    heartbeat(live_server, "b", 10, 2)
    detect_offline()  # the detector's first tick: from now on it watches
    browser = browser_for(language="en")
    browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
    until(browser, lambda b: [state_of(b, n) for n in (1, 2, 3)] == ["up", "up", "unknown"], seconds=1)
    until(browser, lambda b: "Power on" in b.find_element(By.CSS_SELECTOR, '[data-section="1"]').text, seconds=1)
    browser.execute_script("window.stillTheSamePage = true")

    heartbeat(live_server, "c", 10, 3)  # section 3's board comes up
    until(browser, lambda b: state_of(b, 3) == "up")
    for _ in range(settings.SENSOR_TIMEOUT_SEC + 1):  # section 2's board falls silent: its power is off
        heartbeat(live_server, "a", 10, 1)
        heartbeat(live_server, "c", 10, 3)
        detect_offline()  # as beat runs it, every few seconds
        time.sleep(1)
    until(browser, lambda b: state_of(b, 2) == "down")
    until(browser, lambda b: "Power off" in b.find_element(By.CSS_SELECTOR, '[data-section="2"]').text)
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, '[data-section="2"] .segment.down'))
    assert browser.execute_script("return window.stillTheSamePage") is True  # no reload
    assert "Updated" in browser.find_element(By.ID, "heard").text
    browser.save_screenshot(str(screenshots / "status-page.png"))


def test_an_older_answer_of_another_server_process_does_not_take_a_state_back(
    live_server, browser_for, make_building, other_origins
):
    make_building(id=10, sections=1, public=True)
    with urllib.request.urlopen(f"{live_server.url}{reverse('status-document', args=[10])}", timeout=10) as answer:
        before = answer.read()  # what a process that has not looked again for a few seconds still says
    assert json.loads(before)["sections"][0]["state"] == "unknown"
    heartbeat(live_server, "a", 10, 1)
    older = LoopbackServer(lambda *request: (200, {"Content-Type": "application/json", **ANY_ORIGIN}, before))
    try:
        browser = browser_for(language="en")
        browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
        assert state_of(browser, 1) == "up"
        browser.execute_script(
            """window.statesSeen = [];
            new MutationObserver(() => window.statesSeen.push(
                document.querySelector('[data-section="1"]').dataset.state
            )).observe(document.getElementById("sections"), {subtree: true, attributes: true, childList: true});
            document.getElementById("sections").dataset.document = arguments[0];""",
            older.url,
        )
        time.sleep(4)  # a few answers, each older than what the page shows
        assert state_of(browser, 1) == "up"
        assert "unknown" not in browser.execute_script("return window.statesSeen")  # not even for a moment
        assert "Updated" in browser.find_element(By.ID, "heard").text  # it did hear them
    finally:
        older.stop()


def test_a_server_that_hangs_instead_of_refusing_is_said_to_be_lost(
    live_server, browser_for, make_building, other_origins
):
    make_building(id=10, sections=1, public=True)
    released = threading.Event()

    def hang(*request: Any) -> tuple[int, dict[str, str], bytes]:
        released.wait(120)
        return 503, ANY_ORIGIN, b""

    hanging = LoopbackServer(hang)
    try:
        browser = browser_for(language="en")
        browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
        browser.execute_script("document.getElementById('sections').dataset.document = arguments[0]", hanging.url)
        heard = until(
            browser,
            lambda b: (lambda p: p if "stale" in str(p.get_attribute("class")) else None)(
                b.find_element(By.ID, "heard")
            ),
        )
        assert "No connection since" in heard.text
    finally:
        released.set()
        hanging.stop()


def test_the_timeline_matches_a_scripted_history(live_server, browser_for, make_building, screenshots):
    make_building(id=10, sections=1, public=True, timezone="Europe/Kyiv")
    section = Section.objects.get(building_id=10)
    now = timezone.now()
    for state, hours_ago in ((PowerState.UP, 30), (PowerState.DOWN, 6), (PowerState.UP, 3)):
        set_section_state(section, state, "scripted", "test", now=now - timedelta(hours=hours_ago))
    browser = browser_for(language="en")
    browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
    segments = browser.find_elements(By.CSS_SELECTOR, '[data-section="1"] .track .segment')
    track = browser.find_element(By.CSS_SELECTOR, '[data-section="1"] .track').rect["width"]
    drawn = [(s.get_attribute("class"), s.rect["x"] - segments[0].rect["x"], s.rect["width"]) for s in segments]
    assert [kind for kind, _, _ in drawn] == ["segment up", "segment down", "segment up"]
    for (_, left, width), (want_left, want_width) in zip(
        drawn, [(0, 18 / 24), (18 / 24, 3 / 24), (21 / 24, 3 / 24)], strict=True
    ):
        assert abs(left - want_left * track) <= 2 and abs(width - want_width * track) <= 2
    segments[1].click()  # a tap shows the times under the timeline
    detail = browser.find_element(By.CSS_SELECTOR, '[data-section="1"] .timeline .detail').text
    assert "Power off" in detail and "3 h" in detail
    columns = browser.find_elements(By.CSS_SELECTOR, '[data-section="1"] .columns .column')
    assert len(columns) == 30
    offs = [re.search(r"off ([^(]+) \(", str(column.get_attribute("title"))) for column in columns]
    assert sum(minutes(off[1]) for off in offs if off) in (179, 180)  # whichever days the outage fell on
    browser.save_screenshot(str(screenshots / "status-timeline.png"))


def test_the_page_shows_todays_planned_outages_and_the_alert_state(
    live_server, browser_for, make_building, settings, screenshots
):
    settings.ALERTS_DEMO = True  # an alert source is configured: the page shows the region's state
    make_building(
        id=10,
        name="Sunny 12",
        address="12 Sunny St",
        sections=3,
        public=True,
        timezone="Europe/Kyiv",
        schedule_group="3.1",
    )
    now = timezone.now()
    for number, every_hours, off_hours in ((1, 24, 4), (2, 12, 3), (3, 48, 9)):
        section = Section.objects.get(building_id=10, number=number)
        start = now - timedelta(days=29 if number != 3 else 12)
        while start < now - timedelta(hours=off_hours):
            set_section_state(section, PowerState.UP, "scripted", "test", now=start)
            set_section_state(
                section, PowerState.DOWN, "scripted", "test", now=start + timedelta(hours=every_hours - off_hours)
            )
            start += timedelta(hours=every_hours)
        set_section_state(
            section,
            PowerState.UP if number != 2 else PowerState.DOWN,
            "scripted",
            "test",
            now=now - timedelta(minutes=number * 40),
        )
    today = timezone.localtime(now, KYIV).date()
    schedules.record(
        ScheduleSource.FILE,
        [
            DayPlan("3.1", today, DayStatus.APPLIES, [[8 * 60, 12 * 60], [18 * 60, 22 * 60]]),
            DayPlan("3.1", today + timedelta(days=1), DayStatus.NONE, []),
        ],
        "Europe/Kyiv",
    )
    (region,) = regions.sync()
    alerts.record(region, AlertSource.DEMO, True, now)
    alerts.evaluate(region, now)
    browser = browser_for(language="en")
    browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
    assert "Air-raid alert since" in browser.find_element(By.CSS_SELECTOR, ".alert.active").text
    planned = browser.find_element(By.CSS_SELECTOR, '[data-section="1"] .planned').text
    assert "Today\noff 08:00–12:00, 18:00–22:00 (8 hours)" in planned and "Tomorrow\nno outages planned" in planned
    assert [state_of(browser, n) for n in (1, 2, 3)] == ["up", "down", "up"]
    browser.set_window_size(1280, 1400)
    browser.save_screenshot(str(screenshots / "status-page-full.png"))


def test_without_javascript_the_page_still_says_the_current_state(live_server, browser_for, make_building):
    make_building(id=10, sections=2, public=True)
    heartbeat(live_server, "a", 10, 1)
    browser = browser_for(language="uk", javascript=False)
    browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
    assert [state_of(browser, n) for n in (1, 2)] == ["up", "unknown"]
    assert "Світло є" in browser.find_element(By.CSS_SELECTOR, '[data-section="1"]').text
    browser.find_element(By.LINK_TEXT, "English").click()  # the switch is a link: no JavaScript needed
    until(browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "Power on" in browser.find_element(By.CSS_SELECTOR, '[data-section="1"]').text


def test_the_page_speaks_the_browsers_language_and_switches(live_server, browser_for, make_building, screenshots):
    make_building(id=10, sections=1, public=True)
    heartbeat(live_server, "a", 10, 1)
    browser = browser_for(language="uk", width=412, height=915)
    browser.get(f"{live_server.url}{reverse('status-building', args=[10])}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "uk"
    assert "Світло є" in browser.find_element(By.CSS_SELECTOR, '[data-section="1"]').text
    browser.save_screenshot(str(screenshots / "status-page-phone-uk.png"))
    browser.find_element(By.LINK_TEXT, "English").click()
    until(browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "Power on" in browser.find_element(By.CSS_SELECTOR, '[data-section="1"]').text
    browser.get(f"{live_server.url}{reverse('status-index')}")  # remembered on the next page
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


def open_app(browser: Any, server: Any, init_data: str) -> None:
    # Telegram opens a Mini App with its launch parameters in the fragment.
    browser.get(f"{server.url}{reverse('mini-app')}#tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0")


def test_the_mini_app_shows_the_residents_sections_and_a_change_there_is_seen_by_the_bot(
    live_server, bot, browser_for, make_building, screenshots
):
    make_building(id=10, name="Sunny 12", sections=2)
    heartbeat(live_server, "a", 10, 1)
    subscriber = chat_subscriber(OLENA, "Olena", "en")
    follow(subscriber, Section.objects.get(building_id=10, number=1))
    browser = browser_for(language="uk", width=412, height=915)  # the resident's language wins
    open_app(browser, live_server, bot.init_data(OLENA, language_code="en"))
    until(browser, lambda b: b.find_element(By.ID, "app").get_attribute("data-loaded") == "true")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    card = browser.find_element(By.CSS_SELECTOR, '#cards [data-building="10"][data-section="1"]')
    assert card.get_attribute("data-state") == "up" and "Power on" in card.text
    assert re.search(r"since \d\d:\d\d · \d+ min", card.text)  # written by the page's script
    browser.save_screenshot(str(screenshots / "mini-app.png"))

    browser.find_element(By.NAME, "alert_notices").click()
    until(browser, lambda b: b.find_element(By.ID, "saved").text == "Saved")
    reply = bot.user(OLENA, language_code="en").send("/notifications")
    labels = [button["text"] for row in keyboard(reply.params) for button in row]
    assert "🚨 Air-raid alerts: off" in labels

    # And the other way: the bot's button shows in the Mini App at its next refresh.
    bot.user(OLENA, language_code="en").tap("📢 Announcements")
    assert not Subscriber.objects.get(chat_id=OLENA).broadcasts
    until(browser, lambda b: not b.find_element(By.NAME, "broadcasts").is_selected())


def test_the_mini_app_follows_a_section_chosen_from_the_list(live_server, telegram, browser_for, make_building):
    make_building(id=10, name="Sunny 12", sections=2)
    browser = browser_for(language="en", width=412, height=915)
    open_app(browser, live_server, telegram.init_data(OLENA, language_code="en"))
    until(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#follow-building option")) > 1)
    Select(browser.find_element(By.ID, "follow-building")).select_by_value("10")
    Select(browser.find_element(By.ID, "follow-section")).select_by_value("2")
    browser.find_element(By.CSS_SELECTOR, "#follow button").click()
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, '#cards [data-building="10"][data-section="2"]'))
    assert list(Subscriber.objects.get(chat_id=OLENA).subscriptions.values_list("section__number", flat=True)) == [2]


def test_quick_changes_in_the_mini_app_end_as_the_resident_left_them(live_server, telegram, browser_for):
    chat_subscriber(OLENA, "Olena", "en")
    browser = browser_for(language="en", width=412, height=915)
    open_app(browser, live_server, telegram.init_data(OLENA, language_code="en"))
    until(browser, lambda b: b.find_element(By.ID, "app").get_attribute("data-loaded") == "true")
    broadcasts = browser.find_element(By.NAME, "broadcasts")
    for _ in range(5):
        broadcasts.click()  # five taps as fast as a thumb: off, on, off, on, off
    reminder = Select(browser.find_element(By.NAME, "schedule_reminder"))
    for value in ("15", "30", "60", "120", ""):
        reminder.select_by_value(value)
    until(browser, lambda b: b.find_element(By.ID, "app").get_attribute("data-busy") == "false")
    subscriber = Subscriber.objects.get(chat_id=OLENA)
    assert (subscriber.broadcasts, subscriber.schedule_reminder) == (False, None)
    assert not broadcasts.is_selected() and reminder.first_selected_option.get_attribute("value") == ""


def test_the_mini_app_tells_a_resident_the_bot_has_stopped_writing_to(live_server, telegram, browser_for):
    subscriber = chat_subscriber(OLENA, "Olena", "en")
    Subscriber.objects.filter(pk=subscriber.pk).update(active=False, deactivated_reason="blocked the bot")
    browser = browser_for(language="en", width=412, height=915)
    open_app(browser, live_server, telegram.init_data(OLENA, language_code="en"))
    notice = until(browser, lambda b: (lambda n: n if n.is_displayed() else None)(b.find_element(By.ID, "inactive")))
    assert "Write /start to the bot" in notice.text


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda telegram: telegram.init_data(OLENA, token="123456:ANOTHER-BOT"), "not signed"),
        (lambda telegram: telegram.init_data(OLENA, signed_at=time.time() - 7200), "expired"),
        (lambda telegram: "", "Open this from the bot"),
    ],
    ids=["forged", "expired", "missing"],
)
def test_the_mini_app_says_what_to_do_with_a_forged_or_expired_sign_in(
    live_server, telegram, browser_for, screenshots, make, said
):
    browser = browser_for(language="en", width=412, height=915)
    open_app(browser, live_server, make(telegram))
    problem = until(browser, lambda b: (lambda p: p if p.is_displayed() else None)(b.find_element(By.ID, "problem")))
    assert said in problem.text
    assert browser.find_element(By.ID, "app").get_attribute("data-refused") == "true"
    assert not browser.find_elements(By.CSS_SELECTOR, "#cards .section")
    assert not Subscriber.objects.exists()
    browser.save_screenshot(str(screenshots / f"mini-app-refused-{said.split()[0].lower()}.png"))


def test_the_badges_draw(live_server, browser_for, make_building, screenshots):
    make_building(id=10, sections=2, public=True)
    heartbeat(live_server, "a", 10, 1)
    browser = browser_for(language="en")
    for path, name in (
        (reverse("section-badge", args=[10, 1, "svg"]), "badge-section"),
        (reverse("building-badge", args=[10, "svg"]), "badge-building"),
    ):
        browser.get(f"{live_server.url}{path}")
        drawn = browser.find_element(By.TAG_NAME, "svg")
        assert drawn.rect["width"] > 50 and drawn.rect["height"] == 20
        browser.save_screenshot(str(screenshots / f"{name}.png"))
    assert "1 of 2 on" in browser.page_source
