"""Yasno's public API: planned outages by group, and the address look-up of a group.

Shapes as in DESIGN.md. Anything unexpected (an HTTP error, a timeout, a body that is not
the documented shape) raises SourceError with what went wrong, so the caller keeps the last
good data.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from buildings.models import SCHEDULE_GROUP
from powerbot import sources
from powerbot.reprs import shown
from powerbot.sources import SourceError
from schedules.days import DAY_MINUTES, normalised
from schedules.models import DayStatus

ZONE = "Europe/Kyiv"  # Yasno's minutes count from Kyiv's midnight
STATUSES = {
    "ScheduleApplies": DayStatus.APPLIES,
    "NoShutdowns": DayStatus.NONE,
    "EmergencyShutdowns": DayStatus.EMERGENCY,
}
DAYS_AROUND = 2  # a day further than this from today is not today's or tomorrow's
CLIENT = sources.Client("yasno")


@dataclass(frozen=True)
class DayPlan:
    group: str
    date: date
    status: DayStatus
    off: list[list[int]]


def _get(path: str, params: dict[str, Any] | None = None) -> Any:
    return CLIENT.get_json(
        f"{settings.YASNO_API_URL}{path}", params=params, timeout=settings.SCHEDULE_FETCH_TIMEOUT_SEC
    )


def planned_outages(now: datetime | None = None) -> tuple[list[DayPlan], list[str]]:
    """Every group's today and tomorrow; and the problems of the parts that could not be read
    (a group with a malformed day is skipped, the others are kept)."""
    body = _get(f"/regions/{settings.YASNO_REGION_ID}/dsos/{settings.YASNO_DSO_ID}/planned-outages")
    if not isinstance(body, dict) or not body:
        raise SourceError("answered without any group")
    today = timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(ZONE)).date()
    plans: list[DayPlan] = []
    problems: list[str] = []
    for group, days in body.items():
        if not isinstance(days, dict) or not SCHEDULE_GROUP.fullmatch(str(group)):
            problems.append(f"group {shown(group)}: not a group with days")
            continue
        read: dict[date, DayPlan] = {}
        try:
            for which in ("today", "tomorrow"):
                if which in days:
                    plan = _day(str(group), days[which], today)
                    if plan.date in read:
                        raise ValueError(f"{which} has the same date as today ({plan.date})")
                    read[plan.date] = plan
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            problems.append(f"group {group}: {exc}")
            continue
        plans += read.values()
    if not plans and problems:
        raise SourceError("; ".join(problems)[:300])
    return plans, problems


def _day(group: str, day: Any, today: date) -> DayPlan:
    if not isinstance(day, dict):
        raise ValueError("a day is not an object")
    on = _date(day.get("date"))
    if abs((on - today).days) > DAYS_AROUND:
        raise ValueError(f"{on} is not today or tomorrow ({today})")
    stated = day.get("status")
    status = STATUSES.get(stated, DayStatus.UNKNOWN) if isinstance(stated, str) else DayStatus.UNKNOWN
    slots = day.get("slots") or []
    if not isinstance(slots, list):
        raise ValueError("slots is not a list")
    off: list[list[int]] = []
    for slot in slots:
        if not isinstance(slot, dict):
            raise ValueError(f"slot {shown(slot)} is not an object")
        if slot.get("type") != "Definite":
            continue
        start, end = slot.get("start"), slot.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise ValueError(f"slot {shown(slot)} has no whole minutes")
        off.append([start, min(end, DAY_MINUTES)])
    # Only a day with outages planned has planned-off time (a "no outages" day with slots
    # is read as it says; an emergency day has no schedule).
    return DayPlan(group, on, status, normalised(off) if status == DayStatus.APPLIES else [])


def _date(value: Any) -> date:
    """ "2026-12-03", or a time in any zone ("2026-12-02T22:00:00Z") read as Kyiv's date."""
    if not isinstance(value, str):
        raise ValueError(f"date {shown(value)} is not text")
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zoneinfo.ZoneInfo(ZONE)).date()


class LookupProblem(Exception):
    """The address resolves to nothing, or to more than one thing: said to the operator, never guessed."""


def _same(a: Any, b: str) -> bool:
    return " ".join(str(a).split()).lower() == " ".join(b.split()).lower()


def find_group(street_query: str, house_queries: tuple[str, ...]) -> str:
    """street -> house -> group, as "3.1". Raises LookupProblem or SourceError."""
    region, dso = settings.YASNO_REGION_ID, settings.YASNO_DSO_ID
    streets = _get("/addresses/v2/streets", {"regionId": region, "query": street_query, "dsoId": dso})
    if not isinstance(streets, list) or not all(isinstance(s, dict) for s in streets):
        raise SourceError("answered the street look-up with something that is not a list of streets")
    exact = [s for s in streets if _same(s.get("value", ""), street_query)]
    if not streets:
        raise LookupProblem(f"Yasno knows no street matching {street_query!r}")
    if len(streets) > 1 and len(exact) != 1:
        names = ", ".join(repr(str(s.get("value", "?"))) for s in streets[:5])
        raise LookupProblem(f"{street_query!r} matches several streets ({names}); set the exact name")
    street_id = _field((exact or streets)[0], "id")
    for house_query in house_queries:
        houses = _get(
            "/addresses/v2/houses", {"regionId": region, "streetId": street_id, "query": house_query, "dsoId": dso}
        )
        if not isinstance(houses, list):
            raise SourceError("answered the house look-up with something that is not a list")
        exact = [h for h in houses if isinstance(h, dict) and _same(h.get("value", ""), house_query)]
        if exact:
            found = _get(
                "/addresses/v2/group",
                {"regionId": region, "streetId": street_id, "houseId": _field(exact[0], "id"), "dsoId": dso},
            )
            return _group(found, house_query, street_query)
    raise LookupProblem(f"Yasno knows no house {' or '.join(map(repr, house_queries))} on {street_query!r}")


def _group(found: Any, house_query: str, street_query: str) -> str:
    if not isinstance(found, dict) or found.get("group") in (None, ""):
        raise LookupProblem(f"Yasno has no group for house {house_query!r} of {street_query!r}")
    group, subgroup = found["group"], found.get("subgroup")
    text = f"{group}.{subgroup}" if subgroup not in (None, "") else str(group)
    if not SCHEDULE_GROUP.fullmatch(text):
        raise LookupProblem(f"Yasno answered {shown(text)} for house {house_query!r}, which is not a group")
    return text


def _field(item: Any, name: str) -> Any:
    if not isinstance(item, dict) or name not in item:
        raise SourceError(f"answered an address look-up without {name!r}")
    return item[name]
