"""What a badge says: a public section's recorded power state and for how long, or a public
building's sections at a glance. Read from the engine's record, so a badge is what residents
were told; the rows read are kept for a few seconds, so a page of badges in a busy chat
costs the database little."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from buildings.models import MAX_BUILDING_ID, MAX_SECTIONS, Section
from sensors.models import PowerState
from web.presenting import short_duration

LABEL = "power"

# How long the rows behind a badge are reused: a change shows this much later at most
# (besides the badge's own max-age), and each badge costs one query per this many seconds.
ROWS_FRESH_SEC = 5

# Shields' named colours, with their hex for our own SVG.
COLORS = {"brightgreen": "#4c1", "red": "#e05d44", "orange": "#fe7d37", "lightgrey": "#9f9f9f"}
COLOR_OF = {PowerState.UP: "brightgreen", PowerState.DOWN: "red", PowerState.UNKNOWN: "lightgrey"}
WORD_OF = {PowerState.UP: "on", PowerState.DOWN: "off", PowerState.UNKNOWN: "unknown"}


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str  # a Shields colour name (COLORS)


def state_badge(state: PowerState, since: datetime | None, now: datetime) -> Badge:
    word = WORD_OF[state]
    if state != PowerState.UNKNOWN and since is not None:
        word = f"{word} · {short_duration(now - since)}"
    return Badge(LABEL, word, COLOR_OF[state])


def section_badge(building_id: int, number: int, now: datetime | None = None) -> Badge | None:
    """The badge of a section of a public building; None when there is no such section."""
    if not (1 <= building_id <= MAX_BUILDING_ID and 1 <= number <= MAX_SECTIONS):
        return None  # no such row can exist, and a number past the column's range is the database's error
    key = f"web.badge:{building_id}:{number}"
    row = cache.get(key)
    if row is None:
        row = (
            Section.objects.filter(building_id=building_id, number=number, building__public=True)
            .values_list("power__state", "power__since")
            .first()
        )
        if row is None:
            return None  # not kept: anyone may ask for any number, and the cache is shared
        cache.set(key, row, ROWS_FRESH_SEC)
    state, since = row
    return state_badge(PowerState(state or PowerState.UNKNOWN), since, now or timezone.now())


def building_badge(building_id: int) -> Badge | None:
    """ "2 of 3 on": how many of a public building's sections have power; None when the
    building is not public or does not exist."""
    if not 1 <= building_id <= MAX_BUILDING_ID:
        return None
    key = f"web.badge:{building_id}"
    states = cache.get(key)
    if states is None:
        # A building has a section at least: none found means no such public building.
        states = list(
            Section.objects.filter(building_id=building_id, building__public=True).values_list(
                "power__state", flat=True
            )
        )
        if not states:
            return None  # not kept, as for a section
        cache.set(key, states, ROWS_FRESH_SEC)
    up = sum(state == PowerState.UP for state in states)
    known = sum(state in (PowerState.UP, PowerState.DOWN) for state in states)
    if not known:
        return Badge(LABEL, WORD_OF[PowerState.UNKNOWN], COLOR_OF[PowerState.UNKNOWN])
    if len(states) == 1:
        state = PowerState(states[0])
        return Badge(LABEL, WORD_OF[state], COLOR_OF[state])
    color = "brightgreen" if up == len(states) else "red" if up == 0 else "orange"
    return Badge(LABEL, f"{up} of {len(states)} on", color)
