"""Yasno's public API: planned outages by group, and the address look-up of a group.

Shapes as in DESIGN.md. Every call has a timeout; anything unexpected (an HTTP error, a
timeout, a body that is not the documented shape) raises SourceError with what went wrong,
so the caller keeps the last good data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from django.conf import settings

from buildings.models import SCHEDULE_GROUP
from schedules.days import DAY_MINUTES, normalised
from schedules.models import DayStatus

ZONE = "Europe/Kyiv"  # Yasno's minutes count from Kyiv's midnight
STATUSES = {"ScheduleApplies": DayStatus.APPLIES, "NoShutdowns": DayStatus.NONE,
            "EmergencyShutdowns": DayStatus.EMERGENCY}


class SourceError(Exception):
    pass


@dataclass(frozen=True)
class DayPlan:
    group: str
    date: date
    status: DayStatus
    off: list[list[int]]


def _get(path: str, params: dict[str, Any] | None = None) -> Any:
    url = f"{settings.YASNO_API_URL}{path}"
    try:
        response = httpx.get(url, params=params, timeout=settings.SCHEDULE_FETCH_TIMEOUT_SEC)
    except httpx.TimeoutException:
        raise SourceError(f"timed out after {settings.SCHEDULE_FETCH_TIMEOUT_SEC} s") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"could not be reached: {exc}") from None
    if response.status_code != 200:
        raise SourceError(f"answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise SourceError("answered with something that is not JSON") from None


def planned_outages() -> tuple[list[DayPlan], list[str]]:
    """Every group's today and tomorrow; and the problems of the parts that could not be read
    (a group with a malformed day is skipped, the others are kept)."""
    body = _get(f"/regions/{settings.YASNO_REGION_ID}/dsos/{settings.YASNO_DSO_ID}/planned-outages")
    if not isinstance(body, dict) or not body:
        raise SourceError("answered without any group")
    plans, problems = [], []
    for group, days in body.items():
        if not isinstance(days, dict) or not SCHEDULE_GROUP.match(str(group)):
            problems.append(f"group {group!r}: not a group with days")
            continue
        for which in ("today", "tomorrow"):
            if which not in days:
                continue
            try:
                plans.append(_day(str(group), days[which]))
            except (ValueError, TypeError, KeyError) as exc:
                problems.append(f"group {group!r}, {which}: {exc}")
    if not plans and problems:
        raise SourceError("; ".join(problems)[:300])
    return plans, problems


def _day(group: str, day: Any) -> DayPlan:
    if not isinstance(day, dict):
        raise ValueError("not an object")
    on = date.fromisoformat(str(day["date"])[:10])
    status = STATUSES.get(day.get("status"), DayStatus.UNKNOWN)
    off = []
    for slot in day.get("slots") or []:
        if slot.get("type") != "Definite":
            continue
        start, end = slot["start"], slot["end"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise ValueError(f"slot {slot!r} has no whole minutes")
        off.append([start, min(end, DAY_MINUTES)])
    return DayPlan(group, on, status, normalised(off) if status != DayStatus.UNKNOWN else [])


class LookupProblem(Exception):
    """The address resolves to nothing: said to the operator, never guessed."""


def find_group(street_query: str, house_queries: tuple[str, ...]) -> str:
    """street -> house -> group, as "3.1". Raises LookupProblem or SourceError."""
    region, dso = settings.YASNO_REGION_ID, settings.YASNO_DSO_ID
    streets = _get("/addresses/v2/streets", {"regionId": region, "query": street_query, "dsoId": dso})
    if not isinstance(streets, list) or not streets:
        raise LookupProblem(f"Yasno knows no street matching {street_query!r}")
    street_id = _field(streets[0], "id")
    for house_query in house_queries:
        houses = _get("/addresses/v2/houses",
                      {"regionId": region, "streetId": street_id, "query": house_query, "dsoId": dso})
        if not isinstance(houses, list):
            raise SourceError("answered the house look-up with something that is not a list")
        exact = [h for h in houses if isinstance(h, dict) and str(h.get("value", "")).strip().lower()
                 == house_query.strip().lower()]
        if exact or len(houses) == 1:
            house_id = _field((exact or houses)[0], "id")
            found = _get("/addresses/v2/group",
                         {"regionId": region, "streetId": street_id, "houseId": house_id, "dsoId": dso})
            if not isinstance(found, dict) or found.get("group") in (None, ""):
                raise LookupProblem(f"Yasno has no group for house {house_query!r} of {street_query!r}")
            subgroup = found.get("subgroup")
            return f"{found['group']}.{subgroup}" if subgroup not in (None, "") else str(found["group"])
    raise LookupProblem(f"Yasno knows no house {' or '.join(map(repr, house_queries))} on {street_query!r}")


def _field(item: Any, name: str) -> Any:
    if not isinstance(item, dict) or name not in item:
        raise SourceError(f"answered an address look-up without {name!r}")
    return item[name]
