"""ESP32 application images built byte by byte, as esptool writes them, for the tests."""

from __future__ import annotations

import hashlib
import struct


def identity(board: str, version: str) -> bytes:
    """The line the reference firmware compiles into its image (firmware/esp32/src/identity.h)."""
    return f"powerbot-firmware:{board}:{version}\x00".encode()


def esp32_image(
    segments: list[bytes] | None = None,
    *,
    hash_appended: bool = True,
    chip_id: int = 0,
    entry: int = 0x400D_1234,
    named: tuple[str, str] | None = None,
    filler: bytes = b"\x11",
) -> bytes:
    """An image of `segments`; `named=(board, version)` puts the reference firmware's identity in
    its first segment, and `filler` makes images that differ."""
    segments = segments if segments is not None else [filler * 100, bytes(range(256)) * 4]
    # The first segment starts with ESP-IDF's app description (esp_app_desc_t), as in real images.
    version = named[1] if named is not None else "1.0.0"
    description = struct.pack(
        "<II8s32s32s16s16s32s32s80s",
        0xABCD5432,
        0,
        b"",
        version.encode(),
        b"powerbot",
        b"00:00:00",
        b"Jan  1 2026",
        b"v4.4.7",
        b"",
        b"",
    )
    assert len(description) == 256
    segments = [description + (identity(*named) if named is not None else b"") + segments[0], *segments[1:]]
    header = struct.pack("<BBBBI", 0xE9, len(segments), 2, 0x20, entry)
    header += struct.pack("<B3sHBHH4sB", 0xEE, b"\x00\x00\x00", chip_id, 0, 0, 0xFFFF, b"\x00" * 4, int(hash_appended))
    body = bytearray(header)
    checksum = 0xEF
    for number, data in enumerate(segments):
        body += struct.pack("<II", 0x3F40_0020 + number * 0x1_0000, len(data)) + data
        for byte in data:
            checksum ^= byte
    body += b"\x00" * (15 - len(body) % 16)
    body.append(checksum)
    if hash_appended:
        body += hashlib.sha256(body).digest()
    return bytes(body)
