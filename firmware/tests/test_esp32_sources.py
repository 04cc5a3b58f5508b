"""The reference firmware's sources agree with the server, and hold no secret."""

from __future__ import annotations

import configparser
import re

from django.conf import settings

from conftest import BASE_DIR, WRITE_KEY
from firmware import versions
from firmware.image import identity
from firmware.models import Board

ESP32 = BASE_DIR / "firmware" / "esp32"
PLATFORMIO = configparser.ConfigParser(interpolation=None)
PLATFORMIO.read(ESP32 / "platformio.ini")
ENVIRONMENTS = {
    name.removeprefix("env:"): PLATFORMIO[name] for name in PLATFORMIO.sections() if name.startswith("env:")
}
SOURCES = [path for path in ESP32.rglob("*") if path.is_file() and ".pio" not in path.parts]


def test_there_is_a_build_for_each_board_the_server_knows():
    assert set(ENVIRONMENTS) == set(Board.values)
    for board, environment in ENVIRONMENTS.items():
        assert f'-DPOWERBOT_BOARD=\\"{board}\\"' in environment["build_flags"]


def test_the_image_names_itself_as_the_upload_check_reads_it():
    version = PLATFORMIO["powerbot"]["version"]
    versions.release_key(version)  # a valid release version
    main = (ESP32 / "src" / "main.cpp").read_text()
    assert '"powerbot-firmware:" POWERBOT_BOARD ":" POWERBOT_FIRMWARE_VERSION;' in main
    for board in ENVIRONMENTS:
        compiled = f"powerbot-firmware:{board}:{version}".encode() + b"\x00"  # what the compiler lays down
        found = identity(b"\xff" * 64 + compiled + b"\x00" * 64)
        assert found is not None and (found.board, found.version) == (board, version)


def test_the_firmware_takes_versions_as_long_as_the_server_does():
    header = (ESP32 / "lib" / "powerbot_core" / "src" / "powerbot" / "version.h").read_text()
    limit = re.search(r"constexpr size_t kMaxVersionLength = (\d+);", header)
    assert limit is not None and int(limit[1]) == versions.MAX_LENGTH


def test_the_app_slot_matches_the_largest_upload():
    assert PLATFORMIO["env"]["board_build.partitions"] == "min_spiffs.csv"
    assert settings.FIRMWARE_MAX_BYTES == 0x1E0000  # min_spiffs.csv's app0 and app1


def test_mqtt_mode_builds_with_the_pinned_client():
    assert PLATFORMIO["env"]["lib_deps"].split() == ["knolleary/PubSubClient@2.8"]


def test_no_key_is_committed_in_the_firmware_sources():
    assert "include/config.h" in (ESP32 / ".gitignore").read_text().split()
    example = (ESP32 / "include" / "config.example.h").read_text()
    assert re.search(r'^#define POWERBOT_API_KEY ""', example, re.M)
    assert re.search(r'^#define POWERBOT_WIFI_PASSWORD ""', example, re.M)
    assert re.search(r'^#define POWERBOT_MQTT_URL ""', example, re.M)  # a broker's URL may hold a password
    for path in SOURCES:
        if path.name == "config.h":
            continue
        text = path.read_text(errors="replace")
        assert not re.search(r"pb[wr]_[A-Za-z0-9_-]{20,}", text), path  # a generated key
        assert WRITE_KEY not in text, path
