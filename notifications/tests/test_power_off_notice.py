"""A power-off notice, through the real sender and a fake Telegram, names the building's
electrician and asks whether heating and water still work; power back asks nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from buildings.models import Contact, Section
from notifications.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 150


@pytest.fixture
def london(make_building) -> Section:
    make_building(id=10, name="London", sections=2)
    section = Section.objects.get(building_id=10, number=2)
    for chat_id, language in ((101, "en"), (102, "uk")):
        subscriber = Subscriber.objects.create(chat_id=chat_id, language=language)
        Subscription.objects.create(subscriber=subscriber, section=section)
    return section


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup")
    rows = (json.loads(markup) if isinstance(markup, str) else markup or {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def outage_then_back(beat, elapse) -> None:
    beat(section=2)
    elapse(TIMEOUT + 10)
    beat(section=2)


def test_the_notice_names_the_electrician_and_asks_about_heating_and_water(telegram, london, beat, elapse):
    Contact.objects.create(building_id=10, role=Contact.Role.PLUMBER, phone="+380440000002")
    Contact.objects.create(
        building_id=10, role=Contact.Role.ELECTRICIAN, label="Ivan", phone="+380 67 123 45 67", hours="8:00–20:00"
    )
    outage_then_back(beat, elapse)
    off, back = [params for params in telegram.sent() if int(params["chat_id"]) == 101]
    assert off["text"].startswith("🔌 Power is off in Section 2 of London since ")
    assert off["text"].endswith("\n⚡ Electrician: Ivan, +380671234567 (8:00–20:00)")
    assert buttons(off) == [
        ("🔥 Heating: yes", f"rn:{london.pk}:heating:1"),
        ("🔥 Heating: no", f"rn:{london.pk}:heating:0"),
        ("💧 Water: yes", f"rn:{london.pk}:water:1"),
        ("💧 Water: no", f"rn:{london.pk}:water:0"),
    ]
    assert back["text"].startswith("💡 Power is back") and "Electrician" not in back["text"] and not buttons(back)
    ukrainian = next(params for params in telegram.sent() if int(params["chat_id"]) == 102)
    assert "⚡ Електрик: Ivan, +380671234567 (8:00–20:00)" in ukrainian["text"]
    assert [label for label, _ in buttons(ukrainian)][:2] == ["🔥 Опалення: є", "🔥 Опалення: немає"]


def test_without_an_electrician_the_notice_is_as_before(telegram, london, beat, elapse):
    outage_then_back(beat, elapse)
    off = next(params for params in telegram.sent() if int(params["chat_id"]) == 101)
    assert "Electrician" not in off["text"] and len(buttons(off)) == 4
