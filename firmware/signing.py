"""Release signatures: what the server signs, with which key, and how a board checks it.

A board installs only a release signed with the key whose public half is built into its
firmware. The signature is ECDSA P-256 (which the ESP32's mbedTLS verifies natively) over
the SHA-256 of one line per fact: the board, the version and the image's SHA-256. So it
vouches for one image as one version of one board: an image of another board, or an old
signed image offered as a newer version, does not verify.

The private key is a PEM file the operator keeps outside the database
(FIRMWARE_SIGNING_KEY): whoever can write the database cannot sign. The firmware's side
is firmware/esp32/lib/powerbot_core/src/powerbot/signature.h.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

# The first line of what is signed: a signature made for anything else never verifies here.
DOMAIN = "powerbot-firmware-release"
HOW_TO_MAKE_ONE = "make one with `manage.py firmware_key create PATH` and set FIRMWARE_SIGNING_KEY to PATH"


class SigningKeyError(ValueError):
    """The signing key cannot be used, and why."""


@dataclass(frozen=True)
class Signed:
    signature: str  # hex of the DER-encoded ECDSA signature
    key_id: str


def signed_text(board: str, version: str, sha256: str) -> bytes:
    """What a release's signature is over (the firmware builds the same bytes)."""
    return f"{DOMAIN}\n{board}\n{version}\n{sha256}\n".encode()


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """A short name for a key: the start of the SHA-256 of its public half (DER), as the firmware reports it."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The private key in `path`, which must be an unencrypted ECDSA P-256 key in PEM."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror or exc}") from None
    except TypeError:
        raise SigningKeyError(f"the signing key {path} is encrypted; PowerBot needs it unencrypted") from None
    except ValueError:
        raise SigningKeyError(f"{path} is not a private key in PEM; {HOW_TO_MAKE_ONE}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"{path} is not an ECDSA P-256 key, the only kind the boards verify; {HOW_TO_MAKE_ONE}")
    return key


def sign(key: ec.EllipticCurvePrivateKey, board: str, version: str, sha256: str) -> Signed:
    der = key.sign(signed_text(board, version, sha256), ec.ECDSA(hashes.SHA256()))
    return Signed(der.hex(), key_id(key.public_key()))


def verifies(public_key: ec.EllipticCurvePublicKey, signature: str, board: str, version: str, sha256: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), signed_text(board, version, sha256), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A new key, written to `path` readable by its owner only; an existing file is kept.

    Written whole to a draft of its own first, then linked to `path`: no reader ever finds a
    part of a key there, and a failed write (a full disk) leaves nothing that would block the
    next try.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    exists = SigningKeyError(f"{path} exists; a signing key is never overwritten (boards trust the old one)")
    try:
        if path.exists() or path.is_symlink():
            raise exists
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # 0600, a name of its own
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(draft, path)  # fails, keeping the other, if a key appeared there meanwhile
        finally:
            os.unlink(draft)
        _sync_folder(path.parent)
    except FileExistsError:
        raise exists from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SigningKeyError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return key


def _sync_folder(folder: Path) -> None:
    """Make a new name in `folder` survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def firmware_header(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key's public half as firmware/esp32/include/release_key.h, which the firmware is built with."""
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    lines = "".join(f'  "{line}\\n" \\\n' for line in pem.decode().splitlines())
    return (
        "// The public half of PowerBot's release signing key, made by `manage.py firmware_key public`.\n"
        "// Boards built with it install only releases signed with its private half.\n"
        "#pragma once\n\n"
        f'#define POWERBOT_RELEASE_KEY_ID "{key_id(public_key)}"\n'
        f'#define POWERBOT_RELEASE_KEY \\\n{lines}  ""\n'
    )
