"""The data inline buttons carry (Telegram allows 64 bytes). Each action has a pattern;
anything else pressed is out of date or forged and gets a polite answer."""

from __future__ import annotations

import re

from neighbours import services as neighbours
from notifications.services import TOGGLES

BUILDINGS = re.compile(r"^b:(\d{1,4})$")  # the building list, page
SECTIONS = re.compile(r"^s:(\d{1,10})$")  # a building's sections
FOLLOW = re.compile(r"^f:(\d{1,10}):(\d{1,2})$")  # follow building:section
STATUS = re.compile(r"^st$")
STATS = re.compile(r"^x:(\d{1,10}):(day|week|month)$")  # section pk, period
NOTIFICATIONS = re.compile(r"^n$")
TOGGLE_POWER = re.compile(r"^np:(\d{1,10})$")  # section pk
UNFOLLOW = re.compile(r"^nu:(\d{1,10})$")  # section pk
TOGGLE = re.compile(rf"^nt:({'|'.join(TOGGLES)})$")
LANGUAGE = re.compile(r"^l:([a-z]{2})$")
SCHEDULE = re.compile(r"^sc:(\d{1,10})$")  # section pk
REMINDER = re.compile(r"^nr$")  # the next reminder choice
ALERTS = re.compile(r"^al$")
SHELTER = re.compile(r"^sh:(\d{1,10})$")  # shelter pk
ASK = re.compile(r"^q:(\d{1,10})$")  # section pk: do you have heating and water?
# A neighbour's answer: written where the sender puts the same buttons on power-off notices.
ANSWER = neighbours.ANSWER


def buildings(page: int) -> str:
    return f"b:{page}"


def sections(building_id: int) -> str:
    return f"s:{building_id}"


def follow(building_id: int, number: int) -> str:
    return f"f:{building_id}:{number}"


def stats(section_id: int, period: str) -> str:
    return f"x:{section_id}:{period}"


def toggle_power(section_id: int) -> str:
    return f"np:{section_id}"


def unfollow(section_id: int) -> str:
    return f"nu:{section_id}"


def toggle(preference: str) -> str:
    return f"nt:{preference}"


def schedule(section_id: int) -> str:
    return f"sc:{section_id}"


def shelter(shelter_id: int) -> str:
    return f"sh:{shelter_id}"


def ask(section_id: int) -> str:
    return f"q:{section_id}"


def language(code: str) -> str:
    return f"l:{code}"


OPEN_STATUS = "st"
OPEN_NOTIFICATIONS = "n"
NEXT_REMINDER = "nr"
OPEN_ALERTS = "al"
