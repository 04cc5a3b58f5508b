"""Releasing firmware: the admin upload and `manage.py release_firmware` accept only whole
ESP32 images, once per board and version, and write all of a release or nothing."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from firmware import services, signing
from firmware.models import FirmwareImage, FirmwareRelease
from firmware.tests.images import esp32_image

pytestmark = pytest.mark.django_db

ADD = "/admin/firmware/firmwarerelease/add/"


def upload(admin_client, image: bytes, *, board: str = "wt32-eth01", version: str = "1.2.0", **fields):
    form = {
        "board": board,
        "version": version,
        "channel": "stable",
        "rollout_percent": "100",
        "active": "on",
        "image": SimpleUploadedFile("firmware.bin", image),
        **fields,
    }
    return admin_client.post(ADD, form)


def refusal(response) -> str:
    assert response.status_code == 200, "the form should come back with the error"
    return " ".join(str(error) for error in response.context["adminform"].form.errors.get("image", []))


def test_an_uploaded_image_is_released_with_its_size_and_sha256(admin_client):
    image = esp32_image()

    response = upload(admin_client, image, notes="Faster reconnects")

    assert response.status_code == 302
    release = FirmwareRelease.objects.get()
    assert (release.board, release.version, release.notes, release.created_by) == (
        "wt32-eth01",
        "1.2.0",
        "Faster reconnects",
        "admin",
    )
    assert (release.size, release.sha256) == (len(image), hashlib.sha256(image).hexdigest())
    assert services.image_bytes(release) == image


def test_the_version_is_taken_from_an_image_that_names_it(admin_client):
    upload(admin_client, esp32_image(named=("esp32-wifi", "2.1.0-rc.1")), board="esp32-wifi", version="")
    assert FirmwareRelease.objects.get().version == "2.1.0-rc.1"


@pytest.mark.parametrize(
    ("image", "board", "version", "problem"),
    [
        (
            esp32_image(named=("wt32-eth01", "1.3.0")),
            "wt32-eth01",
            "1.2.0",
            "the image says it is version 1.3.0, not 1.2.0",
        ),
        (
            esp32_image(named=("esp32-wifi", "1.2.0")),
            "wt32-eth01",
            "1.2.0",
            "built for the esp32-wifi board, not wt32-eth01",
        ),
        (esp32_image(), "wt32-eth01", "", "give the version: this image does not name its own"),
        (esp32_image(), "wt32-eth01", "v1.2", "'v1.2' is not a semantic version"),
        (esp32_image(named=("wt32-eth01", "1.2.0")), "wt32-eth01", "v1.2", "'v1.2' is not a semantic version"),
        (esp32_image(), "wt32-eth01", "1.0.0-" + "a" * 27, "(at most 32 characters)"),
        (esp32_image(), "wt32-eth01", "1.2.0+build.5", "has build metadata (+build.5)"),
        (b"\xe8" + esp32_image()[1:], "wt32-eth01", "1.2.0", "not an ESP32 image: it starts with 0xE8, not 0xE9"),
        (esp32_image()[:100], "wt32-eth01", "1.2.0", "truncated: segment 1 of 2 needs"),
        (b"\xe9\x01", "wt32-eth01", "1.2.0", "the file is 2 bytes: too short to be an ESP32 image"),
    ],
)
def test_a_bad_upload_is_refused_saying_why_and_nothing_is_written(admin_client, image, board, version, problem):
    response = upload(admin_client, image, board=board, version=version)

    assert problem in refusal(response)
    assert not FirmwareRelease.objects.exists() and not FirmwareImage.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(admin_client, settings):
    settings.FIRMWARE_MAX_BYTES = 65_536
    image = esp32_image([b"\x22" * 70_000])
    response = upload(admin_client, image)
    assert f"the file is {len(image):,} bytes; firmware images may be at most 65,536" in refusal(response)
    assert not FirmwareRelease.objects.exists()


def test_a_version_or_an_image_is_released_once_per_board(admin_client):
    first = esp32_image()
    upload(admin_client, first)

    assert "wt32-eth01 already has a release 1.2.0" in refusal(upload(admin_client, esp32_image(filler=b"\x33")))
    assert "this very image is already released for wt32-eth01 as 1.2.0" in refusal(
        upload(admin_client, first, version="1.2.1")
    )
    # The same version of another board is another release.
    assert upload(admin_client, first, board="esp32-wifi").status_code == 302
    assert FirmwareRelease.objects.count() == 2


def test_a_released_image_cannot_be_changed_only_its_rollout(admin_client, make_building):
    make_building(id=10)
    upload(admin_client, esp32_image())
    release = FirmwareRelease.objects.get()
    page = f"/admin/firmware/firmwarerelease/{release.pk}/change/"

    response = admin_client.post(
        page,
        {
            "board": "esp32-wifi",
            "version": "9.9.9",
            "channel": "beta",
            "rollout_percent": "10",
            "buildings": ["10"],
            "notes": "staged",
        },
    )

    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.board, release.version, release.channel, release.rollout_percent) == (
        "wt32-eth01",
        "1.2.0",
        "beta",
        10,
    )
    assert list(release.buildings.values_list("pk", flat=True)) == [10]
    assert b"firmware image" not in admin_client.get(page).content  # no second upload on a release


def test_the_release_list_shows_how_many_sensors_run_each_release(admin_client, make_building, make_sensor):
    make_building(id=10)
    upload(admin_client, esp32_image())
    for n in range(3):
        sensor = make_sensor(f"s{n}", firmware_version="1.2.0" if n else "1.1.0")
        services.offered_release(sensor.uuid, "wt32-eth01", sensor.firmware_version)

    page = admin_client.get("/admin/firmware/firmwarerelease/").content.decode()

    assert '<td class="field-running">2</td>' in page and "whole fleet" in page


def test_the_command_releases_an_image_to_chosen_buildings(tmp_path, make_building):
    make_building(id=10)
    make_building(id=11, name="Paris")
    path = tmp_path / "firmware.bin"
    path.write_bytes(esp32_image(named=("esp32-wifi", "1.4.0")))

    call_command(
        "release_firmware",
        str(path),
        "--board",
        "esp32-wifi",
        "--channel",
        "beta",
        "--rollout",
        "25",
        "--building",
        "10",
        "--building",
        "11",
        "--mandatory",
        "--notes",
        "Watchdog fix",
    )

    release = FirmwareRelease.objects.get()
    assert (release.version, release.channel, release.rollout_percent, release.mandatory, release.notes) == (
        "1.4.0",
        "beta",
        25,
        True,
        "Watchdog fix",
    )
    assert sorted(release.buildings.values_list("pk", flat=True)) == [10, 11]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--release-version", "1.0.0", "--building", "99"], "no building 99"),
        (["--release-version", "1.0.0", "--rollout", "0"], "--rollout 0: give a share between 1 and 100"),
        (["--release-version", "one"], "not released: 'one' is not a semantic version"),
    ],
)
def test_the_command_refuses_bad_input_and_writes_nothing(tmp_path, make_building, arguments, problem):
    make_building(id=10)
    path = tmp_path / "firmware.bin"
    path.write_bytes(esp32_image())
    with pytest.raises(CommandError, match=problem):
        call_command("release_firmware", str(path), "--board", "wt32-eth01", *arguments)
    with pytest.raises(CommandError, match=r"cannot read .*missing\.bin: No such file"):
        call_command("release_firmware", str(tmp_path / "missing.bin"), "--board", "wt32-eth01")
    assert not FirmwareRelease.objects.exists() and not FirmwareImage.objects.exists()


def test_the_command_refuses_an_oversized_image_with_its_message(tmp_path, settings):
    settings.FIRMWARE_MAX_BYTES = 1024
    path = tmp_path / "firmware.bin"
    path.write_bytes(esp32_image())
    with pytest.raises(CommandError, match=r"firmware\.bin not released: .* may be at most 1,024"):
        call_command("release_firmware", str(path), "--board", "wt32-eth01", "--release-version", "1.0.0")
    assert not FirmwareRelease.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_one_version_at_once_release_it_once(at_once):
    outcomes = []
    signed = signing.sign(services.signing_key(), "wt32-eth01", "3.0.0", "ab" * 32)

    def release() -> None:
        try:
            services.publish(FirmwareRelease(), services.Upload("wt32-eth01", "3.0.0", b"image", "ab" * 32, signed))
            outcomes.append("released")
        except services.UploadRefused as refused:
            outcomes.append(str(refused))

    at_once(release, 4)

    assert sorted(outcomes) == ["released"] + ["wt32-eth01 3.0.0, or this image, was released meanwhile"] * 3
    assert FirmwareRelease.objects.count() == FirmwareImage.objects.count() == 1
