"""The boards' side: `GET /api/v1/firmware/check` offers the newest release meant for the
sensor, and `GET /api/v1/firmware/download/<board>/<version>` serves it, with a sensor key."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest

from conftest import READ_KEY, RELEASE_KEY, WRITE_KEY
from firmware import services, signing
from firmware.models import Channel, SensorFirmware
from sensors.models import Sensor, WriteKey

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/firmware/check"


def check(
    client, uuid: str = "esp32-1", version: str = "1.0.0", board: str = "wt32-eth01", key: str = WRITE_KEY, **params
):
    return client.get(
        CHECK, {"sensor_uuid": uuid, "current_version": version, "board": board, **params}, HTTP_X_API_KEY=key
    )


@pytest.fixture
def fleet(make_building, make_sensor):
    make_building(id=10)
    make_building(id=11, name="Paris")
    return make_sensor("esp32-1", building=10), make_sensor("esp32-2", building=11)


def test_a_board_is_offered_the_newest_release_and_downloads_it_whole(client, fleet, make_release):
    make_release("1.1.0")
    newest = make_release("1.2.0", mandatory=True)
    make_release("9.0.0", board="esp32-wifi")

    offer = check(client).json()

    assert offer == {
        "update_available": True,
        "version": "1.2.0",
        "size": newest.size,
        "sha256": newest.sha256,
        "mandatory": True,
        "url": "http://testserver/api/v1/firmware/download/wt32-eth01/1.2.0?sensor_uuid=esp32-1",
        "signature": newest.signature,
    }
    public_key = signing.load_key(RELEASE_KEY).public_key()
    assert signing.verifies(public_key, offer["signature"], "wt32-eth01", "1.2.0", offer["sha256"])
    url = urlsplit(offer["url"])
    download = client.get(f"{url.path}?{url.query}", HTTP_X_API_KEY=WRITE_KEY)
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and download["Content-Type"] == "application/octet-stream"
    assert int(download["Content-Length"]) == len(body) == offer["size"]
    assert hashlib.sha256(body).hexdigest() == download["X-Firmware-SHA256"] == offer["sha256"]
    assert download["X-Firmware-Version"] == "1.2.0"
    assert download["X-Firmware-Signature"] == offer["signature"]
    assert 'filename="powerbot-wt32-eth01-1.2.0.bin"' in download["Content-Disposition"]


@pytest.mark.parametrize("running", ["1.2.0", "1.3.0", "1.2.0+local.build", "2.0.0-rc.1"])
def test_a_board_on_the_newest_release_or_newer_is_offered_nothing(client, fleet, running, make_release):
    make_release("1.2.0")
    assert check(client, version=running).json() == {"update_available": False}


def test_skipping_to_a_newer_release_keeps_a_mandatory_fix_mandatory(client, fleet, make_release):
    make_release("1.1.0", mandatory=True)
    make_release("1.2.0")
    assert (check(client).json()["version"], check(client).json()["mandatory"]) == ("1.2.0", True)
    assert check(client, version="1.1.0").json()["mandatory"] is False  # the fix is already in


def test_a_release_candidate_is_older_than_its_release(client, fleet, make_release):
    make_release("1.2.0")
    assert check(client, version="1.2.0-rc.2").json()["version"] == "1.2.0"


def test_the_check_and_the_download_are_recorded_for_the_fleet_view(client, fleet, make_release):
    make_release("1.2.0")
    check(client, version="1.0.0")
    client.get("/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "ESP32-1"}, HTTP_X_API_KEY=WRITE_KEY)

    record = SensorFirmware.objects.get(sensor=fleet[0])
    assert (record.board, record.checked_version, record.offered_version, record.downloaded_version) == (
        "wt32-eth01",
        "1.0.0",
        "1.2.0",
        "1.2.0",
    )
    assert record.checked_at is not None and record.downloaded_at is not None


def test_a_board_never_heard_from_is_offered_fleet_wide_releases_only(client, fleet, make_release):
    make_release("1.2.0")
    make_release("1.3.0", buildings=[fleet[0].section.building])
    assert check(client, uuid="brand-new").json()["version"] == "1.2.0"
    assert not SensorFirmware.objects.exists()  # nothing to record it against yet


def test_a_release_for_chosen_buildings_is_offered_only_there(client, fleet, make_release):
    make_release("1.2.0", buildings=[fleet[1].section.building])
    assert check(client, uuid="esp32-1").json() == {"update_available": False}
    assert check(client, uuid="esp32-2").json()["version"] == "1.2.0"


def test_a_staged_rollout_offers_a_share_of_the_fleet_and_keeps_it_as_it_grows(
    client, make_building, make_sensor, make_release
):
    make_building(id=10)
    sensors = [make_sensor(f"board-{n:03}") for n in range(200)]
    staged = make_release("1.2.0", rollout_percent=20)

    def offered() -> set[str]:
        return {s.uuid for s in sensors if check(client, uuid=s.uuid).json()["update_available"]}

    first = offered()
    staged.rollout_percent = 60
    staged.save()
    second = offered()

    assert 20 <= len(first) <= 60 and 90 <= len(second) <= 150  # about 40 and 120 of the 200
    assert first < second


def test_beta_releases_go_to_sensors_on_the_beta_channel_only(client, fleet, make_release):
    make_release("1.2.0")
    make_release("1.3.0-beta.1", channel=Channel.BETA)
    services.set_channel(Sensor.objects.filter(uuid="esp32-2"), Channel.BETA)

    assert check(client, uuid="esp32-1").json()["version"] == "1.2.0"
    assert check(client, uuid="esp32-2").json()["version"] == "1.3.0-beta.1"
    services.set_channel(Sensor.objects.filter(uuid="esp32-2"), Channel.STABLE)
    assert check(client, uuid="esp32-2").json()["version"] == "1.2.0"


def test_a_pulled_release_is_neither_offered_nor_served(client, fleet, make_release):
    make_release("1.1.0")
    pulled = make_release("1.2.0")
    pulled.active = False
    pulled.save()

    assert check(client).json()["version"] == "1.1.0"
    download = client.get(
        "/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "esp32-1"}, HTTP_X_API_KEY=WRITE_KEY
    )
    assert (download.status_code, download.json()) == (404, {"status": "error", "message": "Firmware not found"})


@pytest.mark.parametrize("path", ["wt32-eth01/7.7.7", "esp8266/1.2.0", "wt32-eth01/1.2"])
def test_a_download_of_an_unknown_board_or_version_is_404(client, fleet, path, make_release):
    make_release("1.2.0")
    response = client.get(f"/api/v1/firmware/download/{path}", {"sensor_uuid": "esp32-1"}, HTTP_X_API_KEY=WRITE_KEY)
    assert (response.status_code, response.json()["message"]) == (404, "Firmware not found")


def test_revoked_read_and_wrong_keys_get_401_on_both_endpoints(client, fleet, make_release):
    make_release("1.2.0")
    revoked = WriteKey(name="board 1")
    raw = revoked.set_new_key()
    revoked.save()
    assert check(client, key=raw).status_code == 200
    revoked.revoke()

    for key in (raw, READ_KEY, "wrong", ""):
        assert check(client, key=key).json() == {"status": "error", "message": "Invalid API key"}
        response = client.get(
            "/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "esp32-1"}, HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        assert (response.status_code, response.json()["message"]) == (401, "Invalid API key")
    assert check(client, key=raw).status_code == 401


def test_the_key_may_come_in_the_query_and_a_scoped_key_checks_for_its_own_board_only(client, fleet, make_release):
    make_release("1.2.0")
    scoped = WriteKey(name="board 1", sensor_uuid="esp32-1")
    raw = scoped.set_new_key()
    scoped.save()

    assert (
        client.get(
            CHECK, {"sensor_uuid": "esp32-1", "current_version": "1.0.0", "board": "wt32-eth01", "api_key": raw}
        ).status_code
        == 200
    )
    assert check(client, uuid="esp32-2", key=raw).status_code == 401
    # Downloading with it records the key's own board.
    assert client.get("/api/v1/firmware/download/wt32-eth01/1.2.0", HTTP_X_API_KEY=raw).status_code == 200
    assert SensorFirmware.objects.get(sensor=fleet[0]).downloaded_version == "1.2.0"
    assert (
        client.get(
            "/api/v1/firmware/download/wt32-eth01/1.2.0", {"sensor_uuid": "esp32-2"}, HTTP_X_API_KEY=raw
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sensor_uuid": ""}, "sensor_uuid is required and must be a string"),
        ({"sensor_uuid": "x" * 65}, "sensor_uuid is required and must be a string"),
        ({"board": "esp8266"}, "board must be one of: esp32-wifi, wt32-eth01"),
        ({"current_version": "v1"}, "current_version must be a semantic version such as 1.2.0 (at most 32 characters)"),
        ({"current_version": ""}, "current_version must be a semantic version such as 1.2.0 (at most 32 characters)"),
        (
            {"current_version": "1.0.0-" + "a" * 27},
            "current_version must be a semantic version such as 1.2.0 (at most 32",
        ),
    ],
)
def test_a_bad_check_is_400_saying_what_is_wrong(client, fleet, params, message):
    response = client.get(
        CHECK,
        {"sensor_uuid": "esp32-1", "current_version": "1.0.0", "board": "wt32-eth01", **params},
        HTTP_X_API_KEY=WRITE_KEY,
    )
    assert response.status_code == 400 and response.json()["message"].startswith(message)
    assert not SensorFirmware.objects.exists()


def test_the_endpoints_and_the_offer_are_in_the_openapi_schema(client, fleet, make_release):
    make_release("1.2.0")
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert {"/api/v1/firmware/check", "/api/v1/firmware/download/{board}/{version}"} <= {
        path.rstrip("/") for path in schema["paths"]
    }
    assert set(check(client).json()) == set(schema["components"]["schemas"]["FirmwareUpdateCheck"]["properties"])
    assert "firmwareSensorKey" in schema["components"]["securitySchemes"]


def test_a_board_is_served_only_what_the_check_would_offer_it(client, fleet, make_release, make_building):
    from firmware.models import FirmwareRelease

    make_release("1.2.0")
    beta = make_release("1.3.0-beta.1", channel=Channel.BETA)
    paris_only = make_release("1.4.0")
    paris_only.buildings.set([11])
    halting = make_release("1.5.0")
    FirmwareRelease.objects.filter(pk=halting.pk).update(rollout_percent=1)

    def download(version: str, uuid: str = "esp32-1"):
        return client.get(
            f"/api/v1/firmware/download/wt32-eth01/{version}", {"sensor_uuid": uuid}, HTTP_X_API_KEY=WRITE_KEY
        )

    assert download("1.2.0").status_code == 200
    assert download(beta.version).status_code == 404  # a stable board: no beta image
    assert download("1.4.0").status_code == 404 and download("1.4.0", "esp32-2").status_code == 200  # Paris only
    served = {uuid for uuid in (f"board-{n}" for n in range(60)) if download("1.5.0", uuid).status_code == 200}
    assert len(served) < 10  # one board in a hundred
    missing = client.get("/api/v1/firmware/download/wt32-eth01/1.2.0", HTTP_X_API_KEY=WRITE_KEY)
    assert (missing.status_code, missing.json()["message"]) == (400, "sensor_uuid is required and must be a string")
    assert (
        not SensorFirmware.objects.filter(downloaded_version__in=[beta.version, "1.5.0"])
        .exclude(sensor__uuid__in=served)
        .exists()
    )


def test_a_release_made_before_signing_is_offered_without_a_signature(client, fleet, make_release):
    """Boards that check signatures refuse it (and say so); older firmware still takes it."""
    release = make_release("1.2.0")
    type(release).objects.filter(pk=release.pk).update(signature="", signing_key="")

    offer = check(client).json()
    download = client.get(urlsplit(offer["url"]).path + "?sensor_uuid=esp32-1", HTTP_X_API_KEY=WRITE_KEY)

    assert offer["version"] == "1.2.0" and "signature" not in offer
    assert download.status_code == 200 and "X-Firmware-Signature" not in download
