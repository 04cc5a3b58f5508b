"""Which alert region each building is in, and so which regions are watched."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from alerts.models import Region
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
    """The regions some building is in, created when first needed; those no building is in
    any more keep their history but are not polled. When buildings of one region name
    different ukrainealarm numbers, the lowest building id's wins (and the admin shows it)."""
    wanted: dict[str, str] = {}
    for building in Building.objects.order_by("id").only("id", "alert_region", "alert_region_ukrainealarm"):
        wanted.setdefault(region_of(building), ukrainealarm_id_of(building))
    for uid, ukrainealarm_id in wanted.items():
        region, created = Region.objects.get_or_create(uid=uid, defaults={"ukrainealarm_id": ukrainealarm_id})
        if not created and (region.ukrainealarm_id != ukrainealarm_id or not region.watched):
            Region.objects.filter(pk=region.pk).update(ukrainealarm_id=ukrainealarm_id, watched=True)
    Region.objects.filter(watched=True).exclude(uid__in=list(wanted)).update(watched=False)
    return list(Region.objects.filter(watched=True).order_by("uid"))


def region_for(building: Building) -> Region | None:
    """The building's region as last evaluated; None before the first poll."""
    return Region.objects.filter(uid=region_of(building)).first()
