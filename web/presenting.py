"""How the resident's web writes what it shows: short durations, clock times in the
building's zone, and timelines as positioned segments. The page's script does the same from
the page's document (status.js); the words it needs come from units()."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from alerts.models import State
from alerts.services import RegionState
from notifications.texts import day_plan_text, section_name
from schedules.services import PlannedDay
from sensors.history import Stretch
from sensors.models import PowerState
from web.status import DAY, BuildingPage, DayBar


class Units(NamedTuple):
    day: str  # "{} d"
    hour: str
    minute: str


ENGLISH = Units("{} d", "{} h", "{} min")  # badges are read by Shields' audience: English


def units() -> Units:
    """The short units in the active language."""
    return Units(
        pgettext("short duration", "{} d"), pgettext("short duration", "{} h"), pgettext("short duration", "{} min")
    )


def short_duration(length: timedelta, words: Units = ENGLISH) -> str:
    """ "3 h 20 min", "2 d 4 h", "45 min": read at a glance."""
    minutes = max(int(length.total_seconds()) // 60, 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{words.day.format(days)} {words.hour.format(hours)}" if hours else words.day.format(days)
    if hours:
        return f"{words.hour.format(hours)} {words.minute.format(minutes)}" if minutes else words.hour.format(hours)
    return words.minute.format(minutes)


def state_words() -> dict[str, str]:
    """What each state is called on the page (never its colour alone)."""
    return {PowerState.UP: _("Power on"), PowerState.DOWN: _("Power off"), PowerState.UNKNOWN: _("Unknown")}


def clock(moment: datetime, tz: zoneinfo.ZoneInfo, now: datetime) -> str:
    """ "14:05" today in the building's zone, "02.12 14:05" on another day."""
    local = timezone.localtime(moment, tz)
    if local.date() == timezone.localtime(now, tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


@dataclass(frozen=True)
class Segment:
    state: PowerState
    left: float  # percent of the timeline
    width: float
    text: str  # "14:05–16:30 · Power off · 2 h 25 min": what a tap or hover shows


def segments(stretches: Iterable[Stretch], start: datetime, end: datetime, tz: zoneinfo.ZoneInfo) -> list[Segment]:
    whole = (end - start).total_seconds()
    words, short = state_words(), units()
    return [
        Segment(
            stretch.state,
            round((stretch.start - start).total_seconds() / whole * 100, 3),
            round(stretch.seconds / whole * 100, 3),
            f"{clock(stretch.start, tz, end)}–{clock(stretch.end, tz, end)} · {words[stretch.state]}"
            f" · {short_duration(stretch.end - stretch.start, short)}",
        )
        for stretch in stretches
    ]


def percent(share: float | None) -> str:
    """ "99.5 %", or a dash when nothing is known."""
    return "—" if share is None else f"{share * 100:.1f} %"


@dataclass(frozen=True)
class Column:
    """A day of the 30-day timeline: stacked shares of on, off and unknown."""

    up: float  # percent of the day
    down: float
    unknown: float
    text: str


@dataclass(frozen=True)
class Card:
    number: int
    name: str
    state: PowerState
    state_word: str
    since: datetime | None
    since_clock: str
    lasted: str
    last_day: list[Segment]
    days: list[Column]
    uptime_day: str
    uptime_month: str
    planned: list[tuple[str, str]]  # ("Today", "off 08:00–12:00 (4 hours)")


def column(bar: DayBar) -> Column:
    whole = (bar.up + bar.down + bar.unknown) or 1
    short = units()
    text = _("%(day)s: on %(on)s, off %(off)s (%(share)s)") % {
        "day": bar.day.strftime("%d.%m"),
        "on": short_duration(timedelta(seconds=bar.up), short),
        "off": short_duration(timedelta(seconds=bar.down), short),
        "share": percent(bar.uptime_share),
    }
    return Column(
        round(bar.up / whole * 100, 2), round(bar.down / whole * 100, 2), round(bar.unknown / whole * 100, 2), text
    )


def cards(page: BuildingPage) -> list[Card]:
    tz, now = page.building.tz, page.now
    words = state_words()
    shown = []
    for card in page.cards:
        planned = []
        if card.plan is not None:
            for label, day in zip((_("Today"), _("Tomorrow")), card.plan.days, strict=False):
                planned.append((label, day_text(day)))
        shown.append(
            Card(
                number=card.section.number,
                name=section_name(card.section),
                state=card.state,
                state_word=words[card.state],
                since=card.since,
                since_clock=clock(card.since, tz, now) if card.since else "",
                lasted=short_duration(now - card.since, units()) if card.since else "",
                last_day=segments(card.last_day, now - DAY, now, tz),
                days=[column(bar) for bar in card.days],
                uptime_day=percent(card.uptime_day),
                uptime_month=percent(card.uptime_month),
                planned=planned,
            )
        )
    return shown


def day_text(day: PlannedDay) -> str:
    """A day's planned outages in one line: "off 08:00–12:00 (4 hours)"."""
    return day_plan_text(day.status, day.off, timedelta(seconds=day.off_seconds))


def alert_text(alert: RegionState, tz: zoneinfo.ZoneInfo, now: datetime) -> str:
    if alert.state == State.ACTIVE:
        if alert.since is None:
            return _("Air-raid alert")
        return _("Air-raid alert since %(clock)s") % {"clock": clock(alert.since, tz, now)}
    if alert.state == State.CLEAR:
        return _("No air-raid alert")
    return _("Air-raid alert state unknown")


def script_words() -> dict[str, Any]:
    """What the page's script writes itself, in the reader's language."""
    return {
        "units": units()._asdict(),
        "states": state_words(),
        "heard": _("Updated %(clock)s"),
        "lost": _("No connection since %(clock)s: showing what was known then"),
    }


def app_words() -> dict[str, Any]:
    """What the Mini App's script writes itself, in the page's language."""
    return {
        "units": units()._asdict(),
        "no_init_data": _("Open this from the bot in Telegram: that is how it knows who you are."),
        "refused": _("Telegram's sign-in was refused: %(reason)s Close this and open it again from the bot's menu."),
        "unreachable": _("The server cannot be reached; trying again."),
        "nothing_followed": _("You follow no section yet: choose one below."),
        "since": _("since %(clock)s"),
        "power_notifications": _("Tell me when power changes"),
        "unfollow": _("Stop following"),
        "saved": _("Saved"),
        "not_saved": _("Not saved: %(reason)s"),
        "minutes": _("%(n)d minutes before"),
        "choose": _("Choose…"),
    }
