"""Version precedence on the server, from the table the boards' C++ is tested against too."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import BASE_DIR
from firmware import versions

TABLE = BASE_DIR / "firmware" / "esp32" / "test" / "versions.txt"


def cases(kind: str) -> list[Any]:
    """The table's lines of one kind: `<` and `=` give pairs, `!` the refused texts."""
    lines = [line for line in TABLE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    if kind == "!":
        return [line[1:].strip() for line in lines if line.startswith("!")]
    return [tuple(line.split(f" {kind} ")) for line in lines if f" {kind} " in line]


@pytest.mark.parametrize(("older", "newer"), cases("<"))
def test_newer_versions_take_precedence(older, newer):
    assert versions.parse(older) < versions.parse(newer)


@pytest.mark.parametrize(("one", "other"), cases("="))
def test_build_metadata_does_not_change_precedence(one, other):
    assert versions.parse(one) == versions.parse(other)


@pytest.mark.parametrize("text", cases("!"))
def test_what_is_not_a_semantic_version_is_refused(text):
    with pytest.raises(ValueError, match=r"is not a semantic version such as 1\.2\.0"):
        versions.parse(text)


def test_the_table_covers_every_rule():
    assert len(cases("<")) >= 15 and len(cases("=")) >= 2 and len(cases("!")) >= 10


def test_a_release_version_has_no_build_metadata():
    assert str(versions.release_key("1.2.0-rc.1")) == "1.2.0-rc.1"
    with pytest.raises(ValueError, match=r"has build metadata \(\+sha.5\)"):
        versions.release_key("1.2.0+sha.5")
