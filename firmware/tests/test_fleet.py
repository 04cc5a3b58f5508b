"""The fleet view: which firmware each sensor runs, how many run each version, and who is behind."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from firmware import services
from firmware.models import SensorFirmware

pytestmark = pytest.mark.django_db

FLEET = "/admin/firmware/fleetsensor/"


@pytest.fixture
def fleet(make_building, make_sensor, make_release):
    make_building(id=10)
    now = timezone.now()
    make_release("1.2.0")
    sensors = {
        "current": make_sensor(
            "current",
            firmware_version="1.2.0",
            last_heartbeat=now,
            telemetry={"reset_reason": "task_wdt", "uptime_sec": 3600},
        ),
        "behind": make_sensor("behind", firmware_version="1.1.0", last_heartbeat=now),
        "rolled-back": make_sensor("rolled-back", firmware_version="1.1.0"),
        "seed": make_sensor("seed", firmware_version=""),
    }
    for uuid in ("current", "behind", "rolled-back"):
        services.offered_release(uuid, "wt32-eth01", sensors[uuid].firmware_version)
    SensorFirmware.objects.filter(sensor__uuid="rolled-back").update(
        downloaded_version="1.2.0", downloaded_at=now - timedelta(minutes=30)
    )
    return sensors


def rows(page: str) -> dict[str, str]:
    """Each sensor's row of the changelist, as text, by uuid."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        uuid = re.search(r'class="field-uuid"[^>]*>(?:<a [^>]*>)?([^<]+)', row)
        if uuid:
            found[uuid.group(1)] = re.sub(r"<[^>]+>", " ", row)
    return found


def test_the_fleet_view_counts_sensors_per_version_and_says_who_is_current(admin_client, fleet):
    page = admin_client.get(FLEET).content.decode()

    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="fleet-versions"')[1].split("</table>")[0]))
    assert "wt32-eth01 1.2.0 1 1 1.2.0 (current)" in summary
    assert "wt32-eth01 1.1.0 2 1 1.2.0 (behind)" in summary
    assert "(never checked for updates) (none reported) 1 0" in summary
    listed = rows(page)
    assert "up to date" in listed["current"] and "task_wdt" in listed["current"] and "3600" in listed["current"]
    assert "1.2.0 offered at its last check" in listed["behind"]
    assert "downloaded 1.2.0 but still runs 1.1.0: rolled back?" in listed["rolled-back"]
    assert "never checked for updates" in listed["seed"]


def test_the_outdated_filter_lists_the_sensors_behind_the_latest_release(admin_client, fleet):
    assert set(rows(admin_client.get(FLEET, {"firmware": "outdated"}).content.decode())) == {"behind", "rolled-back"}
    assert set(rows(admin_client.get(FLEET, {"firmware": "never"}).content.decode())) == {"seed"}


def test_sensors_are_put_on_the_beta_channel_from_the_fleet_view(admin_client, fleet):
    response = admin_client.post(
        FLEET, {"action": "to_beta", "_selected_action": [fleet["behind"].pk, fleet["seed"].pk]}, follow=True
    )
    assert b"2 sensor(s) are on the beta channel" in response.content
    assert dict(SensorFirmware.objects.values_list("sensor__uuid", "channel")) == {
        "current": "stable",
        "behind": "beta",
        "rolled-back": "stable",
        "seed": "beta",
    }
    assert SensorFirmware.objects.get(sensor__uuid="behind").checked_version == "1.1.0"  # the rest is kept


def test_a_fleet_without_releases_says_so(admin_client, make_building, make_sensor):
    make_building(id=10)
    make_sensor("lonely", firmware_version="1.0.0")
    services.offered_release("lonely", "esp32-wifi", "1.0.0")
    page = admin_client.get(FLEET).content.decode()
    assert "no stable release for its board" in rows(page)["lonely"]
    assert set(rows(admin_client.get(FLEET, {"firmware": "outdated"}).content.decode())) == set()
