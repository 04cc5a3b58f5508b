"""An upload must be a whole ESP32 application image: what boards' bootloaders would accept."""

from __future__ import annotations

import subprocess
import sys

import pytest

from firmware.image import ImageError, inspect
from firmware.tests.images import esp32_image

MAX = 1_000_000
FIRST_SEGMENT = 256 + 100  # the app description, then the test's bytes


@pytest.mark.parametrize("hash_appended", [True, False])
def test_a_whole_image_is_accepted_with_its_facts(hash_appended):
    image = esp32_image(hash_appended=hash_appended)

    info = inspect(image, max_bytes=MAX)

    assert (info.segments, info.entry_address, info.chip_id, info.hash_appended) == (2, 0x400D1234, 0, hash_appended)
    assert info.length == len(image) and info.length % 16 == 0  # esptool pads to 16-byte blocks


def test_a_signature_block_after_the_image_is_left_alone():
    image = esp32_image()
    assert inspect(image + b"\xff" * 4096, max_bytes=MAX).length == len(image)


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda image: b"\xe8" + image[1:], "not an ESP32 image: it starts with 0xE8, not 0xE9"),
        (lambda image: image[:10], "too short to be an ESP32 image"),
        (lambda image: image[: 24 + 8 + 50], f"truncated: segment 1 of 2 needs {FIRST_SEGMENT} bytes, 50 are left"),
        (lambda image: image[: 24 + 8 + FIRST_SEGMENT + 4], "truncated: segment 2 of 2 is missing"),
        (lambda image: image[:-1], "truncated: the checksum or the SHA-256 at the end is missing"),
        (lambda image: image[:40] + bytes([image[40] ^ 1]) + image[41:], "damaged: the segments' checksum"),
        (lambda image: image[:-1] + bytes([image[-1] ^ 1]), "damaged: the SHA-256 appended to the image"),
        (lambda image: image[:1] + b"\x00" + image[2:], "the header names 0 segments"),
        (lambda image: image[:1] + b"\x11" + image[2:], "the header names 17 segments"),
    ],
)
def test_a_bad_image_is_refused_saying_why(mangle, problem):
    with pytest.raises(ImageError, match=problem.replace("(", r"\(")):
        inspect(mangle(esp32_image()), max_bytes=MAX)


def test_an_image_for_another_chip_is_refused():
    with pytest.raises(ImageError, match=r"built for another chip \(chip id 9\)"):
        inspect(esp32_image(chip_id=9), max_bytes=MAX)


def test_an_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(ImageError, match="the file is 2,000 bytes; firmware images may be at most 1,000"):
        inspect(b"\xe9" * 2000, max_bytes=1000)


# esptool (Espressif's own tool) reads the same images: where it calls one a valid ESP32
# image, so do we, and only there.
VARIANTS = {
    "whole": esp32_image(),
    "whole, no SHA-256": esp32_image(hash_appended=False),
    "named": esp32_image(named=("wt32-eth01", "1.3.0")),
    "data damaged": (lambda image: image[:300] + bytes([image[300] ^ 1]) + image[301:])(esp32_image()),
    "SHA-256 damaged": (lambda image: image[:-1] + bytes([image[-1] ^ 1]))(esp32_image()),
    "cut in segment 1": esp32_image()[:200],
    "cut in segment 2": esp32_image()[: 24 + 8 + FIRST_SEGMENT + 8 + 500],
    "cut before the SHA-256": esp32_image()[:-20],
    "wrong magic": b"\xe8" + esp32_image()[1:],
    "another chip": esp32_image(chip_id=9),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_check_agrees_with_esptool(tmp_path, variant):
    path = tmp_path / "firmware.bin"
    path.write_bytes(VARIANTS[variant])
    result = subprocess.run(
        [sys.executable, "-m", "esptool", "--chip", "esp32", "image-info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    esptool_accepts = (
        result.returncode == 0 and "(invalid" not in result.stdout and "Chip ID: 0 (ESP32)" in result.stdout
    )  # an image for the boards we build for
    try:
        inspect(VARIANTS[variant], max_bytes=MAX)
        we_accept = True
    except ImageError:
        we_accept = False
    assert we_accept == esptool_accepts, result.stdout + result.stderr
    assert we_accept == variant.startswith(("whole", "named"))
