"""/metrics: Prometheus figures for heartbeats, sensors, sections, the detector and the outbox."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from conftest import WRITE_KEY
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import Broadcast, Subscriber

SCRAPER_KEY = "scraper-key-0123456789"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]  # by name and labels


def samples(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def scrape(client: Client):
    def get(**headers: Any) -> Samples:
        response = client.get("/metrics", **headers)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return get


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped[(name, tuple(sorted(labels.items())))]


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a sample grew between two scrapes (from 0 if it was not there yet)."""
    return value(after, name, **labels) - before.get((name, tuple(sorted(labels.items()))), 0)


@pytest.mark.django_db
def test_heartbeats_are_counted_as_accepted_or_rejected_by_reason(scrape, make_building, post_heartbeat):
    make_building(id=10, sections=2)
    before = scrape()

    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "a"})
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "a"})
    post_heartbeat({"building_id": 10, "section_id": 1, "sensor_uuid": "a", "api_key": "wrong"})
    post_heartbeat(raw=b"{not json")
    post_heartbeat({"building_id": 99, "sensor_uuid": "a"})
    post_heartbeat({"building_id": 10, "section_id": 7, "sensor_uuid": "a"})
    after = scrape()

    assert delta(before, after, "powerbot_heartbeats_accepted_total") == 2
    assert delta(before, after, "powerbot_heartbeats_rejected_total", reason="invalid_key") == 1
    assert delta(before, after, "powerbot_heartbeats_rejected_total", reason="invalid_json") == 1
    assert delta(before, after, "powerbot_heartbeats_rejected_total", reason="unknown_building") == 1
    assert delta(before, after, "powerbot_heartbeats_rejected_total", reason="bad_section") == 1


@pytest.mark.django_db
def test_firmware_checks_and_downloads_are_counted(scrape, client, make_building, make_sensor, make_release):
    make_building(id=10)
    make_sensor("esp32-1")
    make_release("1.2.0")
    check = {"sensor_uuid": "esp32-1", "board": "wt32-eth01"}
    before = scrape()

    client.get("/api/v1/firmware/check", {**check, "current_version": "1.0.0"}, HTTP_X_API_KEY=WRITE_KEY)
    client.get("/api/v1/firmware/check", {**check, "current_version": "1.2.0"}, HTTP_X_API_KEY=WRITE_KEY)
    client.get("/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "esp32-1"}, HTTP_X_API_KEY=WRITE_KEY)
    client.head(
        "/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "esp32-1"}, HTTP_X_API_KEY=WRITE_KEY
    )  # headers only: not counted
    after = scrape()

    assert delta(before, after, "powerbot_firmware_checks_total", result="offered") == 1
    assert delta(before, after, "powerbot_firmware_checks_total", result="current") == 1
    assert delta(before, after, "powerbot_firmware_downloads_total") == 1


@pytest.mark.django_db
def test_gauges_show_sensors_sections_outbox_and_detector_lag(scrape, make_building, beat, elapse):
    make_building(id=10, sections=2)
    subscriber = Subscriber.objects.create(chat_id=5)
    assert value(scrape(), "powerbot_detector_tick_lag_seconds") == float("inf")  # never ran

    beat("a", section=1)
    beat("b", section=2)
    elapse(100)
    beat("a", section=1)
    elapse(100)  # b is silent for 200 s: section 2 goes down
    broadcast = Broadcast.objects.create(text="Water is off on Monday")
    outbox.send_broadcast(broadcast)
    outbox.queue_broadcast(broadcast.pk)
    scraped = scrape()

    assert value(scraped, "powerbot_sensors", state="online") == 1
    assert value(scraped, "powerbot_sensors", state="offline") == 1
    assert value(scraped, "powerbot_sections", state="up") == 1
    assert value(scraped, "powerbot_sections", state="down") == 1
    assert value(scraped, "powerbot_sections", state="unknown") == 0
    assert value(scraped, "powerbot_outbox_messages", kind="broadcast") == subscriber.messages.count() == 1
    assert value(scraped, "powerbot_mass_silence_open") == 0
    assert 0 <= value(scraped, "powerbot_detector_tick_lag_seconds") < 10


@pytest.mark.django_db(transaction=True)
def test_deliveries_and_telegram_429s_are_counted(scrape, telegram):
    for chat_id in (1, 2, 3):
        Subscriber.objects.create(chat_id=chat_id)
    telegram.block(3)
    telegram.refuse_next(1, retry_after=1)
    broadcast = Broadcast.objects.create(text="Test")
    outbox.send_broadcast(broadcast)
    outbox.queue_broadcast(broadcast.pk)
    before = scrape()

    deliver()
    after = scrape()

    assert delta(before, after, "powerbot_deliveries_total", result="sent") == 2
    assert delta(before, after, "powerbot_deliveries_total", result="retried") == 1
    assert delta(before, after, "powerbot_deliveries_total", result="deactivated") == 1
    assert delta(before, after, "powerbot_deliveries_total", result="failed") == 0
    assert delta(before, after, "powerbot_telegram_rate_limited_total") == 1
    assert value(after, "powerbot_outbox_messages", kind="broadcast") == 0


@pytest.mark.django_db
def test_metrics_refuse_an_address_outside_the_allow_list_without_the_key(client, settings):
    settings.METRICS_KEY = SCRAPER_KEY
    outsider = {"REMOTE_ADDR": "203.0.113.9"}

    refused = client.get("/metrics", **outsider)
    wrong_key = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-key", **outsider)
    with_key = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPER_KEY}", **outsider)

    assert refused.status_code == wrong_key.status_code == 403
    assert b"METRICS_KEY" in refused.content and b"METRICS_ALLOWED_IPS" in refused.content
    assert with_key.status_code == 200 and b"powerbot_heartbeats_accepted_total" in with_key.content
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPER_KEY}").status_code == 405


@pytest.mark.django_db
def test_metrics_allow_a_configured_network_and_no_key_means_no_key_access(client, settings):
    from powerbot import config

    settings.METRICS_KEY = ""
    settings.METRICS_ALLOWED_IPS = config.get_networks("UNSET_IN_THIS_TEST", "10.1.0.0/16")

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403  # the default list was replaced
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_counts_from_every_gunicorn_worker_reach_the_scrape(served_app):
    """Two worker processes count heartbeats; either one's /metrics shows them all.

    A worker writes its counts after it has answered, so a scrape can come a moment before
    the last write: the counts are read once they have settled, then waited for.
    """
    accepted = ("powerbot_heartbeats_accepted_total", ())

    def scraped() -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{served_app.port}/metrics", timeout=10) as response:
            return samples(response.read().decode())[accepted]

    def settled() -> float:
        previous, current = -1.0, scraped()
        while current != previous:
            time.sleep(0.5)
            previous, current = current, scraped()
        return current

    status = served_app.manage(
        "shell",
        "-c",
        "from buildings.models import Building; "
        "Building.objects.get_or_create(id=61, defaults={'name': 'Metrics', 'section_count': 1})",
    )
    assert status.returncode == 0, status.stderr
    before = settled()
    for n in range(20):
        body = f'{{"api_key": "{WRITE_KEY}", "building_id": 61, "sensor_uuid": "m-{n}"}}'.encode()
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{served_app.port}/api/v1/heartbeat", data=body, method="POST"),
            timeout=10,
        ).close()

    assert settled() - before == 20


@pytest.mark.django_db
def test_a_forwarded_loopback_address_does_not_open_the_metrics(client, settings):
    """On the sensors' plain port nothing stands in front: X-Forwarded-For is the client's word."""
    settings.TRUST_X_FORWARDED_FOR = True
    settings.METRICS_KEY = ""

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403
