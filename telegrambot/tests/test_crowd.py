"""A crowd in one section: its history is read once and reused by everyone who asks, and
never outlives the section's next change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buildings.models import Section
from notifications.models import Subscriber, Subscription
from sensors.models import PowerState
from sensors.power import set_section_state
from telegrambot import screens
from telegrambot.screens import Person, Screen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def section(make_building) -> Section:
    make_building(id=10, name="London", sections=2)
    section = Section.objects.get(building_id=10, number=1)
    set_section_state(section, PowerState.UP, "meter read", "ops")
    return section


def resident(chat_id: int, section: Section) -> Person:
    subscriber = Subscriber.objects.create(chat_id=chat_id, language="en")
    Subscription.objects.create(subscriber=subscriber, section=section)
    return Person(chat_id, chat_id, "Olena", "en")


def history_reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "sensors_powerevent" in query["sql"]]


def test_a_crowd_in_one_section_reads_its_history_once(section):
    crowd = [resident(100 + n, section) for n in range(5)]
    with CaptureQueriesContext(connection) as first:
        card = screens.status(crowd[0])
    with CaptureQueriesContext(connection) as rest:
        cards = [screens.status(person) for person in crowd[1:]]

    assert history_reads(first)  # the first resident's card reads it
    assert history_reads(rest) == []  # the others reuse it
    assert len(rest.captured_queries) < 4 * len(first.captured_queries)
    assert all(other.text.split("\n")[:3] == card.text.split("\n")[:3] for other in cards)


def test_the_card_changes_at_once_after_a_power_event(section):
    olena = resident(100, section)
    assert "Power is on" in screens.status(olena).text

    set_section_state(section, PowerState.DOWN, "feeder tripped", "ops")

    assert "Power is off" in screens.status(olena).text


def chart(person: Person, section: Section) -> Screen:
    """The day's chart of `section` as `person` asks for it."""
    shown = screens.stats(person, section.pk, "day")
    assert isinstance(shown, list)
    return shown[0]


def test_charts_are_reused_until_the_section_changes(section):
    crowd = [resident(100 + n, section) for n in range(3)]
    first = chart(crowd[0], section)
    with CaptureQueriesContext(connection) as rest:
        others = [chart(person, section) for person in crowd[1:]]
    assert history_reads(rest) == []
    assert {other.photo for other in others} == {first.photo}

    set_section_state(section, PowerState.DOWN, "feeder tripped", "ops")
    with CaptureQueriesContext(connection) as after:
        changed = chart(crowd[0], section)
    assert history_reads(after)  # read afresh: the outage is in the caption and the drawing's input
    assert "1 outage" in changed.text
