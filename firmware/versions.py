"""Semantic versions (semver.org 2.0.0), as releases carry them and boards report them.

Precedence follows the specification: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-beta < 1.0.0;
build metadata (+...) is ignored. The reference firmware compares versions with the same
rules in C++; both are tested against one table (firmware/esp32/test/versions.txt).
"""

from __future__ import annotations

import semver
from django.core.exceptions import ValidationError

from sensors.heartbeat import FIRMWARE_VERSION_MAX_LENGTH

Version = semver.Version
# Heartbeats report versions up to this long; a longer one could never be seen running.
MAX_LENGTH = FIRMWARE_VERSION_MAX_LENGTH


def parse(text: str) -> Version:
    """The version `text` names, or ValueError saying what a version looks like."""
    try:
        if len(text.strip()) > MAX_LENGTH:
            raise ValueError
        return Version.parse(text.strip())
    except (ValueError, TypeError):
        raise ValueError(
            f"{text!r} is not a semantic version such as 1.2.0 or 1.3.0-rc.1 (at most {MAX_LENGTH} characters)"
        ) from None


def release_key(text: str) -> Version:
    """A release's version: build metadata is refused, since it would not change what is newer."""
    version = parse(text)
    if version.build:
        raise ValueError(
            f"{text!r} has build metadata (+{version.build}), which does not make a release newer: "
            f"leave it out, or use a pre-release such as {version.finalize_version()}-rc.1"
        )
    return version


def validate_release_version(text: str) -> None:
    try:
        release_key(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
