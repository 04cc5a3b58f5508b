"""What the public status page shows of a public building: each section's recorded state and
since when, its last 24 hours as a timeline, its last 30 days as a bar a day, uptime shares,
today's and tomorrow's planned outages and the region's air-raid alert state.

The page's document is machine data (instants in UTC, seconds, states), the same in every
language; the page formats it in the reader's language and the building's time zone. One
document per building is kept while its sections' power is unchanged (cached_document), so a
lobby screen, a crowd of phones and a script polling it cost the database little."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from alerts import services as alerts
from buildings.models import MAX_BUILDING_ID, Building, Section
from schedules.days import local_midnight
from schedules.services import SectionPlan, section_plans
from sensors.history import Stretch, timeline, uptime_share
from sensors.models import PowerState
from sensors.power import recorded_section_statuses

# How long a building's document is reused without a question, and at most (cached_document).
PAGE_FRESH_SEC = 5
PAGE_MAX_AGE_SEC = 30

DAY = timedelta(hours=24)
DAYS_SHOWN = 30


@dataclass(frozen=True)
class DayBar:
    day: date  # in the building's time zone
    up: int  # seconds
    down: int
    unknown: int  # before the first record, or after now for today

    @property
    def uptime_share(self) -> float | None:
        return uptime_share(self.up, self.down)


@dataclass(frozen=True)
class SectionCard:
    section: Section
    state: PowerState
    since: datetime | None
    last_day: list[Stretch]  # clipped to the last 24 hours
    days: list[DayBar]  # the last DAYS_SHOWN days, oldest first, today's so far last
    plan: SectionPlan | None

    @property
    def uptime_day(self) -> float | None:
        return share(self.last_day)

    @property
    def uptime_month(self) -> float | None:
        return uptime_share(sum(bar.up for bar in self.days), sum(bar.down for bar in self.days))


@dataclass(frozen=True)
class BuildingPage:
    building: Building
    now: datetime
    cards: list[SectionCard]
    alert: alerts.RegionState | None  # None when no alert source is configured


def public_buildings() -> QuerySet[Building]:
    """Public buildings by name, each with how many of its sections have power and how many
    are known."""
    return (
        Building.objects.filter(public=True)
        .annotate(
            sections_up=Count("sections", filter=Q(sections__power__state=PowerState.UP)),
            sections_known=Count("sections", filter=Q(sections__power__state__in=(PowerState.UP, PowerState.DOWN))),
            sections_total=Count("sections"),
        )
        .order_by("name", "id")
    )


def public_building(building_id: int) -> Building | None:
    if not 1 <= building_id <= MAX_BUILDING_ID:
        return None  # past the column's range is the database's error, not a 404
    return Building.objects.filter(pk=building_id, public=True).first()


def share(stretches: Iterable[Stretch]) -> float | None:
    """The share of the known time the power was on; None when none is known."""
    up = down = 0
    for stretch in stretches:
        if stretch.state == PowerState.UP:
            up += stretch.seconds
        elif stretch.state == PowerState.DOWN:
            down += stretch.seconds
    return uptime_share(up, down)


def clipped(stretches: Iterable[Stretch], start: datetime, end: datetime) -> list[Stretch]:
    return [
        Stretch(stretch.state, max(stretch.start, start), min(stretch.end, end))
        for stretch in stretches
        if stretch.end > start and stretch.start < end
    ]


def day_bars(stretches: list[Stretch], now: datetime, tz: zoneinfo.ZoneInfo, count: int = DAYS_SHOWN) -> list[DayBar]:
    """The last `count` days in the building's zone (today so far the last), each with its
    seconds of power on, off and unknown; what no stretch covers is unknown. One pass over
    the stretches (in order, as the timeline gives them): a month of a section switching every
    few minutes is thousands of them."""
    today = timezone.localtime(now, tz).date()
    days = [today - timedelta(days=back) for back in range(count - 1, -1, -1)]
    bars, first = [], 0
    for day in days:
        start, end = local_midnight(day, tz), min(local_midnight(day + timedelta(days=1), tz), now)
        while first < len(stretches) and stretches[first].end <= start:
            first += 1  # over before this day: no later day needs it either
        seconds = {PowerState.UP: 0, PowerState.DOWN: 0}
        at = first
        while at < len(stretches) and stretches[at].start < end:
            stretch, at = stretches[at], at + 1
            if stretch.state in seconds:
                overlap = min(stretch.end, end) - max(stretch.start, start)
                seconds[stretch.state] += max(int(overlap.total_seconds()), 0)
        whole = max(int((end - start).total_seconds()), 0)
        up, down = seconds[PowerState.UP], seconds[PowerState.DOWN]
        bars.append(DayBar(day, up, down, whole - up - down))
    return bars


def building_page(building: Building, now: datetime | None = None) -> BuildingPage:
    now = now or timezone.now()
    sections = list(building.sections.select_related("building"))
    plans = section_plans(sections, now)
    month_start = local_midnight(
        timezone.localtime(now, building.tz).date() - timedelta(days=DAYS_SHOWN - 1), building.tz
    )
    cards = []
    for status in recorded_section_statuses(sections, now):
        section = status.section
        stretches = timeline(section, month_start, now)
        cards.append(
            SectionCard(
                section=section,
                state=status.state,
                since=status.since,
                last_day=clipped(stretches, now - DAY, now),
                days=day_bars(stretches, now, building.tz),
                plan=plans.get(section.pk),
            )
        )
    alert = alerts.states_of([building])[building.pk] if alerts.watching() else None
    return BuildingPage(building, now, cards, alert)


def version(page: BuildingPage) -> str:
    """What changes when what the page says changes (a state, a plan, the alert, a section's
    name), not as time passes: the page redraws itself then."""
    said = [
        None if page.alert is None else alert_document(page.alert),
        [
            (card.section.number, card.section.name, card.state, iso(card.since), planned_document(card.plan))
            for card in page.cards
        ],
    ]
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()[:16]


def document(page: BuildingPage) -> dict[str, Any]:
    """The page as JSON: what the page refreshes itself from, and what scripts read."""
    building = page.building
    return {
        "version": version(page),
        "building": {
            "id": building.pk,
            "name": building.name,
            "address": building.address,
            "timezone": str(building.tz),
        },
        "generated_at": page.now.isoformat(),
        "alert": None if page.alert is None else alert_document(page.alert),
        "sections": [_section_document(card) for card in page.cards],
    }


def _section_document(card: SectionCard) -> dict[str, Any]:
    return {
        "number": card.section.number,
        "name": card.section.name,
        "state": card.state,
        "since": iso(card.since),
        "uptime_24h": card.uptime_day,
        "uptime_30d": card.uptime_month,
        "last_24h": [
            {"state": stretch.state, "start": stretch.start.isoformat(), "end": stretch.end.isoformat()}
            for stretch in card.last_day
        ],
        "last_30d": [
            {"date": bar.day.isoformat(), "up": bar.up, "down": bar.down, "unknown": bar.unknown} for bar in card.days
        ],
        "planned": planned_document(card.plan),
    }


def planned_document(plan: SectionPlan | None) -> list[dict[str, Any]] | None:
    """Today's and tomorrow's planned outages; None when the section has no schedule group."""
    if plan is None:
        return None
    return [
        {"date": day.date.isoformat(), "status": day.status, "off": [list(part) for part in day.off]}
        for day in plan.days
    ]


def alert_document(alert: alerts.RegionState) -> dict[str, Any]:
    return {"state": alert.state, "since": iso(alert.since)}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class KeptDocument:
    body: bytes  # the document's JSON
    version: str
    fingerprint: tuple[int, int]
    built_at: float  # timestamps: the same clock as the cache's own expiry
    checked_at: float


def fingerprint(building_id: int) -> tuple[int, int] | None:
    """(sections, the sum of their power versions): it moves with every recorded change of
    a public building's sections; None when there is no such public building."""
    if not 1 <= building_id <= MAX_BUILDING_ID:
        return None
    found = Section.objects.filter(building_id=building_id, building__public=True).aggregate(
        sections=Count("id"), versions=Sum("power__version")
    )
    return (found["sections"], found["versions"] or 0) if found["sections"] else None


def kept_page(building_id: int, current: tuple[int, int]) -> BuildingPage | None:
    """The public building's page, built once per change of its sections' power (`current`,
    its fingerprint) in this process and reused up to PAGE_MAX_AGE_SEC: the document and
    each language's drawing of the sections start from the same build. None when there is
    no such public building."""
    sections, versions = current
    key = f"web.status.page:{building_id}:{sections}:{versions}"
    page: BuildingPage | None = cache.get(key)
    if page is None:
        building = public_building(building_id)
        if building is None:
            return None
        page = building_page(building)
        cache.set(key, page, PAGE_MAX_AGE_SEC)
    return page


def cached_document(building_id: int) -> KeptDocument | None:
    """The public building's document as JSON; None when there is no such public building.

    A document is reused without a question for PAGE_FRESH_SEC; then, for up to
    PAGE_MAX_AGE_SEC, for as long as one small query finds its sections' power unchanged
    (a power change shows within PAGE_FRESH_SEC; the moving timelines, a new plan or the
    alert within PAGE_MAX_AGE_SEC). So a town's lobby screens and phones polling every
    building cost about a query per building per PAGE_FRESH_SEC, and a build per change."""
    key = f"web.status:{building_id}"
    kept: KeptDocument | None = cache.get(key)
    now = timezone.now().timestamp()
    if kept is not None and now - kept.checked_at < PAGE_FRESH_SEC:
        return kept
    current = fingerprint(building_id)
    if current is None:
        cache.delete(key)  # made private, or gone: anyone may ask for any number, so keep nothing
        return None
    if kept is not None and kept.fingerprint == current and now - kept.built_at < PAGE_MAX_AGE_SEC:
        kept = replace(kept, checked_at=now)
    else:
        page = kept_page(building_id, current)
        if page is None:
            return None
        built = document(page)
        kept = KeptDocument(json.dumps(built).encode(), built["version"], current, now, now)
    cache.set(key, kept, PAGE_MAX_AGE_SEC)
    return kept
