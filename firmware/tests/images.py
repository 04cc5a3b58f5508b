"""ESP32 application images built byte by byte, as esptool writes them, for the tests."""

from __future__ import annotations

import hashlib
import struct


def identity(board: str, version: str) -> bytes:
    """The line the reference firmware compiles into its image (firmware/esp32/src/identity.h)."""
    return f"powerbot-firmware:{board}:{version}\x00".encode()


def esp32_image(segments: list[bytes] | None = None, *, hash_appended: bool = True, chip_id: int = 0,
                entry: int = 0x400D_1234, named: tuple[str, str] | None = None, filler: bytes = b"\x11") -> bytes:
    """An image of `segments`; `named=(board, version)` puts the reference firmware's identity in
    its first segment, and `filler` makes images that differ."""
    segments = segments if segments is not None else [filler * 100, bytes(range(256)) * 4]
    if named is not None:
        segments = [identity(*named) + segments[0], *segments[1:]]
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
