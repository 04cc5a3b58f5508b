"""The file source: schedules of companies without an API, as YAML, JSON or CSV.

    timezone: Europe/Kyiv        # optional; TIME_ZONE by default
    days:
      - {group: "3.1", date: 2026-12-04, off: ["08:00-12:00", "18:00-24:00"]}
      - {group: "3.2", date: tomorrow, status: none}

CSV has the columns group,date,status,off (off: intervals separated by spaces or ";").
`status` is applies (the default when `off` lists intervals), none (the default without)
or emergency; `date` may be today, tomorrow or yesterday. Import is all-or-nothing: every
error is listed, with its entry, and nothing is stored unless there is none.
"""

from __future__ import annotations

import csv
import io
import json
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buildings.models import SCHEDULE_GROUP
from powerbot import yamlfiles
from powerbot.reprs import shown
from schedules import days
from schedules.models import DayStatus, Source
from schedules.services import RecordReport, record
from schedules.yasno import DayPlan

STATUSES = {"applies": DayStatus.APPLIES, "none": DayStatus.NONE, "emergency": DayStatus.EMERGENCY}
RELATIVE = {"yesterday": -1, "today": 0, "tomorrow": 1}
# Past days may be imported for the record; the future is planned a few weeks ahead at most.
DAYS_BACK, DAYS_AHEAD = 366, 31
FIELDS = {"group", "date", "status", "off"}


class ScheduleFileError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(text: str, fmt: str, now: datetime | None = None) -> tuple[list[DayPlan], str]:
    """The days the file describes and the zone its times are in; raises ScheduleFileError."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheets write it
    if fmt == "csv":
        entries, zone = _csv_entries(text), settings.TIME_ZONE
    else:
        document = _document(text, fmt)
        if isinstance(document, list):
            document = {"days": document}
        if not isinstance(document, dict) or not isinstance(document.get("days"), list):
            raise ScheduleFileError(["the file must be a list of days, or a mapping with a list under 'days'"])
        if extra := set(document) - {"timezone", "days"}:
            raise ScheduleFileError([f"unknown top-level key(s): {', '.join(sorted(map(shown, extra)))}"])
        zone = document.get("timezone") or settings.TIME_ZONE
        entries = [(f"days[{index}]", entry) for index, entry in enumerate(document["days"])]
    try:
        tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = None
    if tz is None:
        raise ScheduleFileError([f"timezone: {shown(zone)} is not a known time zone (e.g. Europe/Kyiv)"])
    today = timezone.localtime(now or timezone.now(), tz).date()
    plans: list[DayPlan] = []
    errors: list[str] = []
    seen: dict[tuple[str, date], str] = {}
    for where, entry in entries:
        try:
            plan = day_plan(entry, today)
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        if (plan.group, plan.date) in seen:
            errors.append(
                f"{where}: group {plan.group} on {plan.date} is given twice (also {seen[plan.group, plan.date]})"
            )
        seen.setdefault((plan.group, plan.date), where)
        plans.append(plan)
    if errors:
        raise ScheduleFileError(errors)
    if not plans:
        raise ScheduleFileError(["the file lists no days"])
    return plans, str(zone)


def import_file(text: str, fmt: str, now: datetime | None = None, *, dry_run: bool = False) -> RecordReport:
    """Parse and store in one transaction; the changes residents hear of are recorded too."""
    plans, zone = parse(text, fmt, now)
    with transaction.atomic():
        report = record(Source.FILE, plans, zone, now)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _document(text: str, fmt: str) -> Any:
    try:
        return json.loads(text) if fmt == "json" else yamlfiles.load(text)[0]
    except (ValueError, yaml.YAMLError) as exc:
        raise ScheduleFileError([f"not valid {fmt.upper()}: {exc}"]) from None
    except RecursionError:
        raise ScheduleFileError([f"not valid {fmt.upper()}: nested too deeply"]) from None


def _csv_entries(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        return _csv_rows(text)
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte
        raise ScheduleFileError([f"not valid CSV: {exc}"]) from None


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip() for name in reader.fieldnames or []]
    if not {"group", "date"} <= set(columns):
        raise ScheduleFileError(["the CSV needs a header line with at least the columns group and date"])
    if extra := set(columns) - FIELDS:
        raise ScheduleFileError([f"unknown column(s): {', '.join(sorted(map(shown, extra)))}"])
    if len(set(columns)) != len(columns):
        raise ScheduleFileError(["a column is named twice in the header line"])
    entries = []
    for row in reader:
        if None in row:  # more values than columns: an interval after a comma, most likely
            entries.append((f"line {reader.line_num}", {"_extra": row[None]}))
            continue
        entry = {key.strip(): (value or "").strip() for key, value in row.items()}
        if not entry.get("status"):
            entry.pop("status", None)
        entry["off"] = entry.get("off", "").replace(";", " ").split()
        entries.append((f"line {reader.line_num}", entry))
    return entries


def day_plan(entry: Any, today: date) -> DayPlan:
    """One day from a mapping of group, date, status and off; raises ValueError saying what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("must be a mapping with group, date and off or status")
    if "_extra" in entry:
        raise ValueError(
            f"more values than columns ({shown(entry['_extra'])}); separate intervals in one column with spaces or ;"
        )
    if False in entry and "off" not in entry:  # YAML 1.1 reads the key `off` as false
        entry = {("off" if key is False else key): value for key, value in entry.items()}
    if extra := set(entry) - FIELDS:
        raise ValueError(f"unknown field(s) {', '.join(sorted(shown(key) for key in extra))}")
    group = entry.get("group")
    if not isinstance(group, str) or not SCHEDULE_GROUP.fullmatch(group):
        raise ValueError(f'group must be text such as "3.1" (in quotes in YAML), not {shown(group)}')
    on = _date(entry.get("date"), today)
    off_texts = entry.get("off") or []
    if not isinstance(off_texts, list) or not all(isinstance(text, str) for text in off_texts):
        raise ValueError(f'off must be a list of intervals such as "08:00-12:00", not {shown(off_texts)}')
    off = [_interval(text) for text in off_texts]
    status_text = entry.get("status", "applies" if off else "none")
    if not isinstance(status_text, str) or status_text not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {shown(status_text)}")
    status = STATUSES[status_text]
    if status != DayStatus.APPLIES and off:
        raise ValueError(f"status {status_text} cannot have off intervals")
    return DayPlan(group, on, status, days.normalised(off))


def _date(value: Any, today: date) -> date:
    if isinstance(value, str) and value.strip().lower() in RELATIVE:
        return today + timedelta(days=RELATIVE[value.strip().lower()])
    on: date | None
    if isinstance(value, date) and not isinstance(value, datetime):
        on = value
    else:
        try:
            on = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            on = None
    if on is None:
        raise ValueError(f"date must be YYYY-MM-DD, today, tomorrow or yesterday, not {shown(value)}")
    if not -DAYS_BACK <= (on - today).days <= DAYS_AHEAD:
        raise ValueError(f"{on} is more than {DAYS_BACK} days back or {DAYS_AHEAD} ahead")
    return on


def _interval(text: str) -> list[int]:
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        raise ValueError(f"{shown(text)} is not an interval such as 08:00-12:00")
    start, end = days.minute_of(parts[0]), days.minute_of(parts[1])
    if start >= end:
        raise ValueError(f"{shown(text)} ends before it starts")
    return [start, end]
