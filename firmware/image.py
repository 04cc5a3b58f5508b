"""Checks that an uploaded file is a whole ESP32 application image, before any board sees it.

The format is ESP-IDF's "app image": a 24-byte header (magic 0xE9, segment count, flash
settings, entry address, chip id, and whether a SHA-256 is appended), the segments (an
8-byte header of load address and length, then the data), padding to 16 bytes with a
one-byte XOR checksum of every segment's data, and, when the header says so, the SHA-256
of everything before it. A board's bootloader refuses an image that fails any of these;
refusing it at upload means no board ever downloads it.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

MAGIC = 0xE9
HEADER_SIZE = 24
SEGMENT_HEADER_SIZE = 8
MAX_SEGMENTS = 16
CHECKSUM_SEED = 0xEF
CHIP_ESP32 = 0x0000  # the classic ESP32, as on the ESP32 DevKit and the WT32-ETH01


# The reference firmware compiles this line into its image (firmware/esp32/src/identity.h), so an
# upload can be checked against the board and version it is released as.
IDENTITY = re.compile(rb"powerbot-firmware:([a-z0-9-]{1,32}):([0-9A-Za-z.+-]{1,64})\x00")


class ImageError(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    board: str
    version: str


@dataclass(frozen=True)
class ImageInfo:
    segments: int
    entry_address: int
    chip_id: int
    hash_appended: bool
    length: int  # where the image ends; anything after it (a signature block) is not checked here


def check_size(size: int, *, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageError(f"the file is {size:,} bytes; firmware images may be at most {max_bytes:,}")


def inspect(data: bytes, *, max_bytes: int) -> ImageInfo:
    """The image's facts, or ImageError saying what is wrong with it."""
    check_size(len(data), max_bytes=max_bytes)
    if len(data) < HEADER_SIZE:
        raise ImageError(f"the file is {len(data)} bytes: too short to be an ESP32 image")
    if data[0] != MAGIC:
        raise ImageError(f"not an ESP32 image: it starts with 0x{data[0]:02X}, not 0xE9")
    segments = data[1]
    if not 1 <= segments <= MAX_SEGMENTS:
        raise ImageError(f"the header names {segments} segments; an ESP32 image has 1 to {MAX_SEGMENTS}")
    (entry_address,) = struct.unpack_from("<I", data, 4)
    (chip_id,) = struct.unpack_from("<H", data, 12)
    hash_appended = data[23] == 1

    offset, checksum = HEADER_SIZE, CHECKSUM_SEED
    for number in range(1, segments + 1):
        if offset + SEGMENT_HEADER_SIZE > len(data):
            raise ImageError(f"truncated: segment {number} of {segments} is missing")
        _, size = struct.unpack_from("<II", data, offset)
        offset += SEGMENT_HEADER_SIZE
        if offset + size > len(data):
            raise ImageError(
                f"truncated: segment {number} of {segments} needs {size:,} bytes, {len(data) - offset:,} are left"
            )
        for byte in data[offset : offset + size]:
            checksum ^= byte
        offset += size

    checksum_at = offset + 15 - offset % 16  # padded so that the checksum byte ends a 16-byte block
    end = checksum_at + 1 + (32 if hash_appended else 0)
    if end > len(data):
        raise ImageError("truncated: the checksum or the SHA-256 at the end is missing")
    if data[checksum_at] != checksum:
        raise ImageError("damaged: the segments' checksum does not match")
    if hash_appended and hashlib.sha256(data[: checksum_at + 1]).digest() != data[checksum_at + 1 : end]:
        raise ImageError("damaged: the SHA-256 appended to the image does not match it")
    if chip_id != CHIP_ESP32:
        raise ImageError(f"built for another chip (chip id {chip_id}); PowerBot's boards are ESP32 (chip id 0)")
    return ImageInfo(segments, entry_address, chip_id, hash_appended, end)


def identity(data: bytes) -> Identity | None:
    """The board and version the reference firmware wrote into the image; None for other firmware."""
    found = {Identity(board.decode(), version.decode()) for board, version in IDENTITY.findall(data)}
    if len(found) > 1:
        raise ImageError(
            "the image names more than one PowerBot board or version: "
            + ", ".join(sorted(f"{i.board} {i.version}" for i in found))
        )
    return found.pop() if found else None
