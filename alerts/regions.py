"""Which alert region each building is in, and so which regions are watched."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from alerts.models import Alert, Region
from buildings.models import Building


def region_of(building: Building) -> str:
    return building.alert_region or settings.ALERTS_CITY_UID_ALERTS_IN_UA


def ukrainealarm_id_of(building: Building) -> str:
    if building.alert_region_ukrainealarm:
        return building.alert_region_ukrainealarm
    return building.alert_region or settings.ALERTS_CITY_ID_UKRAINEALARM


def buildings_in(uid: str) -> QuerySet[Building]:
    within = Q(alert_region=uid)
    if uid == settings.ALERTS_CITY_UID_ALERTS_IN_UA:
        within |= Q(alert_region="")
    return Building.objects.filter(within)


def sync() -> list[Region]:
    """The regions to poll: those some building is in, created when first needed, and those
    no building is in any more while an alert there is open (polled until it ends, so it is
    not left open for ever). A region left otherwise keeps its history and forgets its state:
    if a building joins it again, its first state is recorded silently, as for a new region.
    When buildings of one region name different ukrainealarm numbers, the lowest building
    id's wins."""
    wanted: dict[str, str] = {}
    for building in Building.objects.order_by("id").only("id", "alert_region", "alert_region_ukrainealarm"):
        wanted.setdefault(region_of(building), ukrainealarm_id_of(building))
    for uid, ukrainealarm_id in wanted.items():
        region, created = Region.objects.get_or_create(uid=uid, defaults={"ukrainealarm_id": ukrainealarm_id})
        if not created and (region.ukrainealarm_id != ukrainealarm_id or not region.watched):
            Region.objects.filter(pk=region.pk).update(ukrainealarm_id=ukrainealarm_id, watched=True)
    Region.objects.filter(watched=True).exclude(uid__in=list(wanted)).update(watched=False)
    alert_open = Exists(Alert.objects.filter(region=OuterRef("pk"), ended_at__isnull=True))
    Region.objects.filter(~alert_open, watched=False).exclude(state="").update(
        state="", since=None, version=F("version") + 1
    )
    return list(Region.objects.filter(Q(watched=True) | alert_open).order_by("uid"))


def region_for(building: Building) -> Region | None:
    """The building's region as last evaluated; None before the first poll."""
    return Region.objects.filter(uid=region_of(building)).first()
