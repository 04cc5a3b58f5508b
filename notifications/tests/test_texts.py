"""Residents' texts: Ukrainian plural forms, and times in the building's timezone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils.translation import override

from notifications.texts import duration


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "1 хвилина"),
        (2, "2 хвилини"),
        (5, "5 хвилин"),
        (21, "21 хвилина"),
        (12, "12 хвилин"),
        (62, "1 година 2 хвилини"),
    ],
)
def test_durations_use_ukrainian_plural_forms(minutes, words):

    with override("uk"):
        assert duration(timedelta(minutes=minutes)) == words


@pytest.mark.parametrize(
    ("length", "words"),
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(hours=3, minutes=1), "3 hours 1 minute"),
        (timedelta(days=2, hours=1, minutes=5), "2 days 1 hour"),
    ],
)
def test_durations_in_english(length, words):
    with override("en"):
        assert duration(length) == words
