"""Neighbours' answers about heating and water: recorded latest-wins, and counted for what
is true now: since the section's last power change (a radiator cold before the power came
back says nothing of now), and for NEIGHBOUR_REPORT_HOURS at most."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.models import Section
from neighbours.models import Kind, Report

# An answer as a Telegram button carries it (64 bytes at most): where it was pressed (c: the
# status card, redrawn with the new count; n: a notice, left as it is), section pk, kind, yes.
ANSWER = re.compile(r"^r([cn]):(\d{1,10}):(heating|water):([01])$")


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no


def answer(user_id: int, section: Section, kind: Kind, available: bool, now: datetime | None = None) -> None:
    """Record a resident's answer, replacing their earlier one of that kind in that section
    (two presses at once leave one row: the unique constraint, and update_or_create's retry)."""
    Report.objects.update_or_create(
        user_id=user_id,
        section=section,
        kind=kind,
        defaults={"available": available, "reported_at": now or timezone.now()},
    )


def counting(reports: QuerySet[Report], now: datetime) -> QuerySet[Report]:
    """The answers that still count: given since their section's last power change, and
    within NEIGHBOUR_REPORT_HOURS."""
    oldest = now - timedelta(hours=settings.NEIGHBOUR_REPORT_HOURS)
    return reports.filter(reported_at__gte=oldest).filter(
        Q(section__power__since__isnull=True) | Q(reported_at__gte=F("section__power__since"))
    )


def tallies(sections: Iterable[Section], now: datetime | None = None) -> dict[int, dict[Kind, Tally]]:
    """Each section's answers that count now, by kind (one query for them all); a section
    nobody answered for has no entry."""
    now = now or timezone.now()
    counts: dict[int, dict[Kind, dict[bool, int]]] = {}
    rows = (
        counting(Report.objects.filter(section__in=[section.pk for section in sections]), now)
        .values_list("section_id", "kind", "available")
        .annotate(answers=Count("id"))
        .order_by()
    )
    for section_id, kind, available, number in rows:
        counts.setdefault(section_id, {}).setdefault(Kind(kind), {})[available] = number
    return {
        section_id: {kind: Tally(by.get(True, 0), by.get(False, 0)) for kind, by in kinds.items()}
        for section_id, kinds in counts.items()
    }


def answer_buttons(section_id: int, *, on_notice: bool) -> list[list[tuple[str, str]]]:
    """The answer buttons (label, data) in the reader's language, a row per kind."""
    where = "n" if on_notice else "c"
    return [
        [
            (_("🔥 Heating: yes"), f"r{where}:{section_id}:heating:1"),
            (_("🔥 Heating: no"), f"r{where}:{section_id}:heating:0"),
        ],
        [(_("💧 Water: yes"), f"r{where}:{section_id}:water:1"), (_("💧 Water: no"), f"r{where}:{section_id}:water:0")],
    ]
