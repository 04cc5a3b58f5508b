"""The decision table: one state per region from what each source last said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.decision import Said, decide, disagree
from alerts.models import State

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FRESH = timedelta(seconds=120)


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


def active(answered: int, since: int | None = None) -> Said:
    return Said(True, ago(answered), ago(answered if since is None else since))


def clear(answered: int, last_active: int | None = None) -> Said:
    return Said(False, ago(answered), None if last_active is None else ago(last_active))


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ([active(5), active(10)], State.ACTIVE),  # both active
        ([active(5), clear(10)], State.ACTIVE),  # one active is enough
        ([clear(5), active(10)], State.ACTIVE),
        ([clear(5), clear(10)], State.CLEAR),  # both clear, nobody said active
        ([active(500), clear(10)], State.CLEAR),  # the stale one's alert was answered by a clear since
        ([clear(500), active(10)], State.ACTIVE),  # a stale source does not outvote a fresh one
        ([active(500), clear(500)], State.UNKNOWN),  # both stale
        ([], State.UNKNOWN),  # no source at all
        ([Said(None, None), Said(None, None)], State.UNKNOWN),  # asked, never answered well
        ([clear(5, last_active=60), clear(90)], State.ACTIVE),  # all-clear: the other has not said clear since
        ([clear(5, last_active=60), clear(30)], State.CLEAR),  # both said clear after the last alert
        ([clear(5, last_active=60), clear(500)], State.CLEAR),  # the stale one's old clear does not count
        ([clear(5, last_active=60)], State.CLEAR),  # a single source decides alone
    ],
    ids=[
        "both-active",
        "one-active",
        "other-active",
        "both-clear",
        "stale-alert-answered",
        "stale-clear-outvoted",
        "both-stale",
        "no-source",
        "never-answered",
        "clear-before-alert",
        "clear-after-alert",
        "stale-clear-ignored",
        "single-source",
    ],
)
def test_the_state_of_a_region_follows_the_decision_table(said, expected):
    assert decide(said, NOW, FRESH) == expected


def test_an_answer_exactly_as_old_as_the_freshness_no_longer_counts():
    assert decide([active(120)], NOW, FRESH) == State.UNKNOWN
    assert decide([active(119)], NOW, FRESH) == State.ACTIVE


def test_disagreement_is_among_fresh_sources_only():
    assert disagree([active(5), clear(5)], NOW, FRESH)
    assert not disagree([active(5), clear(500)], NOW, FRESH)
    assert not disagree([clear(5), clear(9)], NOW, FRESH)
