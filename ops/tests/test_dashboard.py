"""The admin opens on "Now": what an operator needs to know first, each line linking to the
list behind it; Django's app list stays one click away."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from buildings.models import Section
from notifications.models import Message, NotificationPause, Subscriber
from powerbot.models import SourceHealth
from sensors.models import MassSilence, PowerCause, PowerState, SectionPower, Sensor
from sensors.power import detect_offline

pytestmark = pytest.mark.django_db

NOW = "/admin/"


def page(admin_client) -> str:
    response = admin_client.get(NOW)
    assert response.status_code == 200
    return response.content.decode()


def part(html: str, name: str) -> str:
    """One box of the page, by its id."""
    start = html.index(f'id="now-{name}"')
    return html[start : html.find('<div class="module"', start + 1)]


@pytest.fixture
def house(make_building, make_sensor):
    """Building 10: section 1 up through two boards, one of them silent for 7 h; section 2 down;
    section 3 never heard from."""
    make_building(id=10, name="London", sections=3)
    now = timezone.now()
    make_sensor("lobby", section=1, last_heartbeat=now)
    make_sensor("cellar", section=1, last_heartbeat=now - timedelta(hours=7))
    make_sensor("roof", section=2, last_heartbeat=now - timedelta(minutes=30))
    SectionPower.objects.create(section=section(1), state=PowerState.UP, since=now - timedelta(days=1))
    SectionPower.objects.create(
        section=section(2), state=PowerState.DOWN, since=now - timedelta(minutes=27), cause=PowerCause.TIMEOUT
    )


def section(number: int) -> Section:
    return Section.objects.get(building_id=10, number=number)


def test_only_staff_see_the_dashboard(client, django_user_model):
    assert client.get(NOW).status_code == 302
    django_user_model.objects.create_user("resident", password="x")
    client.login(username="resident", password="x")
    response = client.get(NOW)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_quiet_deployment_says_all_is_well_and_keeps_the_app_list_reachable(admin_client):
    html = page(admin_client)
    assert "Every section has power." in part(html, "sections")
    assert "has never run" in part(html, "holds")  # no detector yet: the worker with beat is not running
    assert '<meta http-equiv="refresh" content="30">' in html
    apps = admin_client.get("/admin/apps/").content.decode()
    assert "Public API" in apps and "Read-only keys" in apps
    assert 'href="/admin/apps/"' in html


def test_sections_down_or_unknown_are_listed_with_since_when_and_why(admin_client, house):
    sections = part(page(admin_client), "sections")
    assert "Sections down or unknown</a>: 2" in sections
    assert str(section(2)) in sections and str(section(3)) in sections and str(section(1)) not in sections
    assert "heartbeats stopped" in sections and "no sensor heard yet" in sections
    link = "/admin/sensors/sectionpower/?state__in=down,unknown"
    assert link in sections
    assert admin_client.get(link).status_code == 200
    assert SectionPower.objects.get(section__number=2).state == PowerState.DOWN


def test_a_board_silent_for_hours_while_its_section_is_up_is_named(admin_client, house):
    html = page(admin_client)
    silent = part(html, "silent")
    assert "Boards silent 6 h or more while their section is up</a>: 1" in silent
    assert "cellar" in silent and "roof" not in silent  # roof's section is down: that is an outage
    assert "cellar" in part(html, "offline") and "roof" in part(html, "offline")
    assert f"/admin/sensors/sensor/{Sensor.objects.get(uuid='cellar').pk}/change/" in silent


def test_a_mass_silence_and_a_pause_are_shown_with_what_ends_them(admin_client, admin_user):
    MassSilence.objects.create(started_at=timezone.now(), silent_sensors=40, active_sensors=50, buildings=6)
    admin_client.post(
        "/admin/notifications/notificationpause/add/", {"reason": "Planned works on the lines"}, follow=True
    )
    holds = part(page(admin_client), "holds")
    assert "Held since" in holds and "40 of 50 sensors in 6 buildings" in holds and "Release the hold" in holds
    assert "Paused since" in holds and "Planned works on the lines" in holds and "Resume" in holds
    assert NotificationPause.objects.get(open=True).started_by == admin_user.get_username()


def test_the_sender_backlog_failures_and_the_detectors_tick(admin_client):
    subscriber = Subscriber.objects.create(chat_id=1)
    now = timezone.now()
    for state in (Message.State.PENDING, Message.State.PENDING, Message.State.FAILED, Message.State.SENT):
        Message.objects.create(
            subscriber=subscriber,
            kind=Message.Kind.BROADCAST,
            state=state,
            not_before=now - timedelta(minutes=7),
            sent_at=now if state == Message.State.SENT else None,
        )
    detect_offline()
    html = page(admin_client)
    sender = part(html, "sender")
    assert "<th>Due, waiting</th><td>2 (the oldest due for 7" in sender
    assert "Sent in the last hour</th><td>1</td>" in sender
    assert 'class="now-bad">1</td>' in sender  # one failed
    assert "last tick" in part(html, "holds") and "has never run" not in part(html, "holds")


def test_outside_sources_firmware_and_operators_actions(admin_client, make_release, make_building):
    SourceHealth.objects.create(
        source="yasno", last_success_at=timezone.now() - timedelta(hours=3), failures=4, last_error="HTTP 503"
    )
    make_release("1.2.0")
    admin_client.post("/admin/notifications/notificationpause/add/", {"reason": "Storm"}, follow=True)
    html = page(admin_client)
    assert "yasno" in part(html, "sources") and "4: HTTP 503" in part(html, "sources")
    assert "1.2.0" in part(html, "firmware")
    actions = part(html, "actions")
    assert "admin" in actions and "Storm" in actions


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_in_a_real_browser(house, admin_browser, screenshots):  # the house first: the page shows it
    browser = admin_browser
    assert "Sections down or unknown" in browser.find_element(By.ID, "now-sections").text
    assert "cellar" in browser.find_element(By.ID, "now-silent").text
    browser.set_window_size(1400, 1100)
    browser.save_screenshot(str(screenshots / "admin-now.png"))


def test_an_operators_list_action_is_listed_with_who_and_when(admin_client, house):
    cellar = Sensor.objects.get(uuid="cellar")
    admin_client.post(
        "/admin/sensors/sensor/", {"action": "freeze_for_15_min", "_selected_action": [cellar.pk]}, follow=True
    )
    actions = part(page(admin_client), "actions")
    assert "Freeze at current value for 15 min" in actions and "admin" in actions
    assert f"/admin/sensors/sensor/{cellar.pk}/change/" in actions


def test_a_mapping_import_is_listed_with_who_ran_it(admin_client, tmp_path, test_database_url):
    from conftest import project_env, run_manage

    mappings = tmp_path / "town.yaml"
    mappings.write_text("buildings:\n  - {id: 12, name: Sunny, sections: 2}\n")
    imported = run_manage(project_env(test_database_url), "import_mappings", str(mappings), "--by", "olena")
    assert imported.returncode == 0, imported.stderr
    again = run_manage(project_env(test_database_url), "import_mappings", str(mappings), "--by", "olena")
    assert "nothing changed" in again.stdout  # an import that changed nothing is no news
    actions = part(page(admin_client), "actions")
    assert actions.count("town.yaml") == 1 and "olena" in actions and "buildings: 1 created" in actions


@pytest.mark.django_db(transaction=True)  # the budget is kept by connections of its own
def test_a_429_from_telegram_shows_until_when_nothing_goes_out(admin_client, settings):
    import asyncio

    from notifications.budget import shared_budget

    settings.TELEGRAM_BOT_TOKEN, settings.REDIS_URL = "123:test", ""
    assert "Telegram said 429" not in part(page(admin_client), "sender")

    async def told_429() -> None:
        budget = shared_budget()
        await budget.pause(120)
        await budget.close()

    asyncio.run(told_429())
    assert 'Telegram said 429</th><td class="now-bad">nothing goes out until' in part(page(admin_client), "sender")


def test_staff_without_the_fleet_see_the_app_list_not_the_fleet(client, django_user_model, house):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.login(username="clerk", password="x")
    html = client.get(NOW).content.decode()
    assert 'id="now-sections"' not in html and "cellar" not in html
    clerk.user_permissions.add(Permission.objects.get(codename="view_sensor"))
    assert 'id="now-sections"' in client.get(NOW).content.decode()


def test_an_action_on_all_rows_across_pages_is_logged_for_each_and_a_confirmation_page_is_not(admin_client, house):
    from django.contrib.admin.models import LogEntry

    admin_client.post("/admin/sensors/sensor/", {"action": "delete_selected", "_selected_action": ["1"]})
    assert not LogEntry.objects.exists()  # only the "are you sure?" page: nothing happened
    admin_client.post(
        "/admin/sensors/sensor/", {"action": "unfreeze", "select_across": "1", "_selected_action": ["1"]}, follow=True
    )
    assert LogEntry.objects.count() == Sensor.objects.count() == 3


def test_the_rollout_counts_the_boards_of_each_kind(admin_client, make_release, make_sensor, house):
    from firmware.models import SensorFirmware

    make_release("1.2.0", board="wt32-eth01")
    make_release("1.2.0", board="esp32-wifi")
    for sensor in Sensor.objects.all():
        Sensor.objects.filter(pk=sensor.pk).update(firmware_version="1.2.0")
        SensorFirmware.objects.update_or_create(sensor=sensor, defaults={"board": "wt32-eth01"})
    firmware = part(page(admin_client), "firmware")
    counts = dict(re.findall(r"<td>([^<,]+), stable</td>.*?>(\d+)</a>", firmware, re.S))
    assert counts == {"WT32-ETH01 on Ethernet": "3", "ESP32 DevKit on Wi-Fi": "0"}, counts
