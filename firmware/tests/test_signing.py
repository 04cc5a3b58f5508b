"""Signed releases: every release is signed with the key kept outside the database, for its board,
version and image; without a usable key nothing is released; `manage.py firmware_key` makes
the key and the header the firmware is built with. The board's side, against the real
server: firmware/tests/test_esp32_core.py."""

from __future__ import annotations

import io
import re
import stat
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import BASE_DIR, RELEASE_KEY
from firmware import services, signing
from firmware.models import FirmwareImage, FirmwareRelease
from firmware.tests.images import esp32_image
from firmware.tests.test_upload import refusal, upload
from powerbot import config
from sensors.models import Sensor

pytestmark = pytest.mark.django_db


def public_key() -> ec.EllipticCurvePublicKey:
    return signing.load_key(RELEASE_KEY).public_key()


def test_a_release_is_signed_for_its_board_version_and_image_only(make_release):
    release = make_release("1.2.0")

    assert release.signing_key == signing.key_id(public_key()) and len(release.signing_key) == 16
    assert signing.verifies(public_key(), release.signature, "wt32-eth01", "1.2.0", release.sha256)
    assert not signing.verifies(public_key(), release.signature, "esp32-wifi", "1.2.0", release.sha256)
    assert not signing.verifies(public_key(), release.signature, "wt32-eth01", "1.3.0", release.sha256)
    assert not signing.verifies(public_key(), release.signature, "wt32-eth01", "1.2.0", "0" * 64)
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not signing.verifies(other, release.signature, "wt32-eth01", "1.2.0", release.sha256)
    assert not signing.verifies(public_key(), "not hex", "wt32-eth01", "1.2.0", release.sha256)


def test_the_signed_text_names_board_version_and_image_one_per_line():
    """The firmware's signed_text() builds the same (its unit test, and the board's check of the
    server's signatures in test_esp32_core.py, hold it to that)."""
    assert signing.signed_text("wt32-eth01", "1.3.0", "ab") == b"powerbot-firmware-release\nwt32-eth01\n1.3.0\nab\n"


def test_the_admin_upload_and_the_command_sign_with_the_configured_key(admin_client, tmp_path, settings):
    settings.FIRMWARE_SIGNING_KEY = other = tmp_path / "other.pem"
    signing.create_key(other)
    upload(admin_client, esp32_image(named=("wt32-eth01", "1.2.0")), version="")
    (tmp_path / "fw.bin").write_bytes(esp32_image(named=("esp32-wifi", "1.2.0")))
    call_command("release_firmware", str(tmp_path / "fw.bin"), "--board", "esp32-wifi", stdout=io.StringIO())

    key = signing.load_key(other).public_key()
    for release in FirmwareRelease.objects.all():
        assert release.signing_key == signing.key_id(key)
        assert signing.verifies(key, release.signature, release.board, release.version, release.sha256)
    assert FirmwareRelease.objects.count() == 2


def unencrypted(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        (None, "FIRMWARE_SIGNING_KEY is not set: make one with `manage.py firmware_key create PATH`"),
        (b"", "is not a private key in PEM"),
        (b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", "is not a private key in PEM"),
        (unencrypted(rsa.generate_private_key(65537, 2048)), "is not an ECDSA P-256 key"),
        (unencrypted(ec.generate_private_key(ec.SECP384R1())), "is not an ECDSA P-256 key"),
        (
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            ),
            "is encrypted; PowerBot needs it unencrypted",
        ),
    ],
    ids=["unset", "empty", "garbage", "rsa", "p384", "encrypted"],
)
def test_without_a_usable_key_nothing_is_released_and_the_operator_is_told_why(
    admin_client, tmp_path, settings, contents, problem
):
    key = tmp_path / "key.pem"
    if contents is not None:
        key.write_bytes(contents)
    settings.FIRMWARE_SIGNING_KEY = key if contents is not None else None
    image = tmp_path / "fw.bin"
    image.write_bytes(esp32_image(named=("wt32-eth01", "1.2.0")))

    assert problem in refusal(upload(admin_client, image.read_bytes(), version=""))
    with pytest.raises(CommandError, match=re.escape(problem)):
        call_command("release_firmware", str(image), "--board", "wt32-eth01")
    assert FirmwareRelease.objects.count() == FirmwareImage.objects.count() == 0


def test_a_key_file_that_went_missing_is_named(settings, tmp_path):
    settings.FIRMWARE_SIGNING_KEY = tmp_path / "gone.pem"
    with pytest.raises(services.UploadRefused, match=r"cannot read the signing key .*gone\.pem: No such file"):
        services.signing_key()


def test_a_key_may_have_any_name_the_file_system_takes_and_odd_paths_are_refused_saying_why(tmp_path):
    longest = tmp_path / ("k" * 251 + ".pem")  # NAME_MAX: the draft beside it must not need more
    signing.create_key(longest)
    assert signing.load_key(longest) is not None
    (tmp_path / "dangling.pem").symlink_to(tmp_path / "nowhere")
    with pytest.raises(signing.SigningKeyError, match=r"dangling\.pem exists"):
        signing.create_key(tmp_path / "dangling.pem")
    with pytest.raises(signing.SigningKeyError, match=r"cannot write .*: File name too long"):
        signing.create_key(tmp_path / ("k" * 256))
    with pytest.raises(signing.SigningKeyError, match=r"cannot write .*embedded null byte"):
        signing.create_key(tmp_path / "a\0b.pem")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([longest.name, "dangling.pem"])


def test_the_setting_must_name_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", str(tmp_path / "nowhere.pem"))
    with pytest.raises(config.ConfigError, match=r"FIRMWARE_SIGNING_KEY: '.*nowhere\.pem' is not a file; make it"):
        config.get_file("FIRMWARE_SIGNING_KEY", missing="make it")
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", str(tmp_path))  # it exists: making a key there would fail
    with pytest.raises(config.ConfigError, match=r"' is not a file$"):
        config.get_file("FIRMWARE_SIGNING_KEY", missing="make it")
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", "~no-such-user/key.pem")
    with pytest.raises(config.ConfigError, match="cannot be read: Could not determine home directory"):
        config.get_file("FIRMWARE_SIGNING_KEY")
    monkeypatch.chdir(RELEASE_KEY.parent)
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", RELEASE_KEY.name)
    assert config.get_file("FIRMWARE_SIGNING_KEY") == RELEASE_KEY  # absolute: whatever folder it is read from later
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", " ")
    assert config.get_file("FIRMWARE_SIGNING_KEY") is None
    monkeypatch.setenv("FIRMWARE_SIGNING_KEY", str(RELEASE_KEY))
    assert config.get_file("FIRMWARE_SIGNING_KEY") == RELEASE_KEY


def test_firmware_key_create_writes_a_key_only_its_owner_reads_and_never_overwrites_one(tmp_path):
    path = tmp_path / "release.pem"
    told = io.StringIO()

    call_command("firmware_key", "create", str(path), stderr=told)

    key = signing.load_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Made the release signing key {signing.key_id(key.public_key())} in {path}" in told.getvalue()
    assert "firmware_key public" in told.getvalue() and "FIRMWARE_SIGNING_KEY=" in told.getvalue()
    before = path.read_bytes()
    with pytest.raises(CommandError, match="exists; a signing key is never overwritten"):
        call_command("firmware_key", "create", str(path))
    assert path.read_bytes() == before
    with pytest.raises(CommandError, match="cannot write"):
        call_command("firmware_key", "create", str(tmp_path / "no-such-folder" / "key.pem"))


def test_a_key_whose_write_fails_leaves_nothing_behind_and_can_be_made_again(tmp_path):
    """A full disk, here a file size limit below a key's: no empty key file stays to block the next try."""
    path = tmp_path / "release.pem"
    failed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, signal, sys; from pathlib import Path; from firmware import signing\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))\n"
            "try: signing.create_key(Path(sys.argv[1]))\n"
            "except signing.SigningKeyError as exc: print(exc)",
            str(path),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert failed.returncode == 0, failed.stderr
    assert failed.stdout.startswith(f"cannot write {path}: File too large")
    assert list(tmp_path.iterdir()) == []
    signing.create_key(path)
    assert signing.load_key(path) is not None


def test_firmware_key_public_prints_the_header_the_firmware_is_built_with(settings):
    printed = io.StringIO()
    call_command("firmware_key", "public", stdout=printed)  # FIRMWARE_SIGNING_KEY's
    header = printed.getvalue()

    key_id = re.search(r'^#define POWERBOT_RELEASE_KEY_ID "([0-9a-f]{16})"$', header, re.M)
    assert key_id is not None and key_id[1] == signing.key_id(public_key())
    lines = re.findall(r'^  "(.*?)\\n" \\$', header, re.M)
    assert lines[0] == "-----BEGIN PUBLIC KEY-----" and lines[-1] == "-----END PUBLIC KEY-----"
    loaded = serialization.load_pem_public_key("\n".join(lines).encode() + b"\n")
    assert loaded == public_key()
    assert "PRIVATE" not in header

    settings.FIRMWARE_SIGNING_KEY = None
    with pytest.raises(CommandError, match="give the key's PATH, or set FIRMWARE_SIGNING_KEY"):
        call_command("firmware_key", "public")


def test_the_release_list_says_which_key_signed_each_release(admin_client, make_release):
    signed = make_release("1.2.0")
    unsigned = make_release("1.3.0")
    FirmwareRelease.objects.filter(pk=unsigned.pk).update(signature="", signing_key="")

    page = admin_client.get("/admin/firmware/firmwarerelease/").content.decode()
    change = admin_client.get(f"/admin/firmware/firmwarerelease/{signed.pk}/change/").content.decode()

    assert signed.signing_key in page and "unsigned: boards refuse it" in page
    assert signed.signature in change


def test_a_boards_refusal_shows_in_the_fleet_view_and_is_counted(make_building, make_sensor, make_release, client):
    make_building(id=10)
    make_release("1.3.0")
    refused = {"version": "1.3.0", "reason": "bad_signature"}
    for uuid in ("a", "b"):
        make_sensor(
            uuid, firmware_version="1.2.0", last_heartbeat=timezone.now(), telemetry={"update_refused": refused}
        )
        services.offered_release(uuid, "wt32-eth01", "1.2.0")
    make_sensor("c", telemetry={"update_refused": {"version": "1.3.0", "reason": "unsigned"}}, enabled=False)
    make_sensor("d", telemetry={"update_refused": {"reason": "made-up"}})
    make_sensor("e", telemetry={"update_refused": "bad_signature"})

    assert services.refusing_sensors() == {"unsigned": 0, "bad_signature": 2, "wrong_size": 0, "wrong_checksum": 0}
    a = Sensor.objects.select_related("firmware").get(uuid="a")
    assert services.update_status(a, "1.3.0") == (
        "refused 1.3.0: its signature does not verify with the board's release key"
    )
    scraped = client.get("/metrics").content.decode()
    assert 'powerbot_firmware_refusing_sensors{reason="bad_signature"} 2.0' in scraped
    assert 'powerbot_firmware_refusing_sensors{reason="unsigned"} 0.0' in scraped


def test_odd_refusal_telemetry_never_breaks_the_fleet_view(admin_client, make_building, make_sensor, make_release):
    """Telemetry is whatever a board with the sensor key sent: only a known reason is shown."""
    make_building(id=10)
    make_release("1.3.0")
    odd = {
        "list": {"version": "1.3.0", "reason": ["unsigned"]},
        "dict": {"version": "1.3.0", "reason": {"a": 1}},
        "number": {"version": "1.3.0", "reason": 7},
        "text": "bad_signature",
        "odd-version": {"version": {"x": [1, 2]}, "reason": "unsigned"},
    }
    for uuid, refused in odd.items():
        make_sensor(uuid, firmware_version="1.2.0", telemetry={"update_refused": refused})
        services.offered_release(uuid, "wt32-eth01", "1.2.0")

    for query in ("", "?firmware=outdated"):
        page = admin_client.get(f"/admin/firmware/fleetsensor/{query}")
        assert page.status_code == 200
    text = page.content.decode()
    assert text.count("1.3.0 offered at its last check") == 4
    assert "refused an update: the release is not signed" in text
    assert services.refusing_sensors()["unsigned"] == 1
