"""Text from outside (a board's payload, a Telegram user's name) made fit for every database."""

from __future__ import annotations


def storable(text: str) -> str:
    """Text every database stores: NUL removed (PostgreSQL refuses it), lone surrogates
    replaced (no database can encode them)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
