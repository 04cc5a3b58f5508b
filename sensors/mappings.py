"""Buildings, sensor mappings and aliases as a YAML or JSON document.

Import is all-or-nothing (one transaction; any error rolls everything back), reports
every error it finds naming the entry and, for YAML, its line, and is idempotent:
an entry that matches the database is left untouched, so importing the same file
twice changes nothing. Fields an entry omits keep their current value.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from buildings.models import (
    ALERT_REGION,
    MAX_BUILDING_ID,
    MAX_SECTIONS,
    SCHEDULE_GROUP,
    Building,
    Contact,
    Section,
    Shelter,
)
from powerbot import yamlfiles
from powerbot.reprs import shown
from sensors.models import MappingImport, Sensor, SensorAlias, uuid_key

Format = Literal["yaml", "json"]
Outcome = Literal["created", "updated", "unchanged"]
KINDS = ("buildings", "sensors", "aliases")
FIELDS = {
    "buildings": {
        "id",
        "name",
        "address",
        "sections",
        "default_section",
        "latitude",
        "longitude",
        "timezone",
        "schedule_group",
        "section_schedule_groups",
        "alert_region",
        "alert_region_ukrainealarm",
        "shelters",
        "contacts",
        "public",
    },
    "sensors": {"uuid", "building", "section", "canonical", "name", "comment", "enabled"},
    "aliases": {"sensor", "building", "section"},
}
SHELTER_FIELDS = ("name", "address", "distance_m", "opening_hours", "description")
CONTACT_FIELDS = ("role", "label", "phone", "telegram", "hours", "note")
REQUIRED = {"buildings": {"id", "name"}, "sensors": {"uuid", "building", "section"}, "aliases": FIELDS["aliases"]}


class MappingError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})

    def count(self, kind: str, outcome: Outcome) -> None:
        self.counts[kind][outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for kind, c in self.counts.items()
        ]


def parse(text: str, fmt: Format) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """The document and, for YAML, the line of each entry: {("sensors", 0): 7}."""
    try:
        if fmt == "json":
            return json.loads(text), {}
        document, root = yamlfiles.load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise MappingError([f"not valid {fmt.upper()}: {exc}"]) from None
    except RecursionError:
        raise MappingError([f"not valid {fmt.upper()}: nested too deeply"]) from None
    lines: dict[tuple[str, int], int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(value, yaml.SequenceNode):
                for index, item in enumerate(value.value):
                    lines[(key.value, index)] = item.start_mark.line + 1
    return document, lines


def import_document(
    document: Any,
    lines: dict[tuple[str, int], int] | None = None,
    *,
    dry_run: bool = False,
    by: str = "",
    source: str = "",
) -> ImportReport:
    """Apply the document in one transaction; raises MappingError listing every problem. An
    import that changed something is recorded with `by` and `source` (MappingImport)."""
    importer = _Importer(lines or {})
    entries = importer.check_shape(document)
    with transaction.atomic():
        for index, entry in enumerate(entries["buildings"]):
            importer.run("buildings", index, entry, importer.building)
        for index, entry in enumerate(entries["sensors"]):
            importer.run("sensors", index, entry, importer.sensor)
        for index, entry in enumerate(entries["aliases"]):
            importer.run("aliases", index, entry, importer.alias)
        if importer.errors:
            transaction.set_rollback(True)
            raise MappingError(importer.errors)
        if dry_run:
            transaction.set_rollback(True)
        elif importer.report.changed:
            summary = "; ".join(importer.report.lines())
            MappingImport.objects.create(at=timezone.now(), by=by[:150], source=source[:300], summary=summary[:300])
    return importer.report


def export_document() -> dict[str, list[dict[str, Any]]]:
    buildings = []
    for building in Building.objects.prefetch_related("sections", "shelters", "contacts").order_by("id"):
        entry = {
            "id": building.id,
            "name": building.name,
            "address": building.address,
            "sections": building.section_count,
            "default_section": building.default_section,
        }
        if building.latitude is not None and building.longitude is not None:
            entry |= {"latitude": float(building.latitude), "longitude": float(building.longitude)}
        if building.timezone:
            entry["timezone"] = building.timezone
        if building.schedule_group:
            entry["schedule_group"] = building.schedule_group
        if own := {s.number: s.schedule_group for s in building.sections.all() if s.schedule_group}:
            entry["section_schedule_groups"] = own
        if building.public:
            entry["public"] = True
        for key in ("alert_region", "alert_region_ukrainealarm"):
            if value := getattr(building, key):
                entry[key] = value
        if shelters := [
            {field: value for field in SHELTER_FIELDS if (value := getattr(shelter, field)) not in ("", None)}
            for shelter in building.shelters.all()
        ]:
            entry["shelters"] = shelters
        if contacts := [_contact_entry(contact) for contact in building.contacts.all()]:
            entry["contacts"] = contacts
        buildings.append(entry)
    sensors = [
        {
            "uuid": s.uuid,
            "building": s.section.building_id,
            "section": s.section.number,
            "canonical": s.canonical,
            "name": s.name,
            "comment": s.comment,
            "enabled": s.enabled,
        }
        for s in Sensor.objects.select_related("section").order_by("id")
    ]
    aliases = [
        {"sensor": a.sensor.uuid, "building": a.section.building_id, "section": a.section.number}
        for a in SensorAlias.objects.select_related("sensor", "section").order_by("sensor_id", "section_id")
    ]
    return {"buildings": buildings, "sensors": sensors, "aliases": aliases}


def dump(document: dict[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)


class _EntryError(Exception):
    pass


class _Importer:
    def __init__(self, lines: dict[tuple[str, int], int]) -> None:
        self.lines = lines
        self.errors: list[str] = []
        self.report = ImportReport()

    def check_shape(self, document: Any) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(document, dict):
            raise MappingError(["the file must be a mapping with the keys buildings, sensors and aliases"])
        unknown = set(document) - set(KINDS)
        if unknown:
            raise MappingError([f"unknown top-level key(s): {', '.join(sorted(str(key)[:60] for key in unknown))}"])
        entries: dict[str, list[dict[str, Any]]] = {}
        for kind in KINDS:
            items = document.get(kind) or []
            if not isinstance(items, list):
                raise MappingError([f"{kind}: must be a list"])
            entries[kind] = items
            for index, entry in enumerate(items):
                if not isinstance(entry, dict):
                    self.errors.append(f"{self.where(kind, index)}: must be a mapping")
                    continue
                if extra := set(entry) - FIELDS[kind]:
                    self.errors.append(
                        f"{self.where(kind, index)}: unknown field(s) {', '.join(sorted(map(str, extra)))}"
                    )
                if missing := REQUIRED[kind] - set(entry):
                    self.errors.append(f"{self.where(kind, index)}: missing field(s) {', '.join(sorted(missing))}")
        self.check_duplicates(entries)
        if self.errors:
            raise MappingError(self.errors)
        return entries

    def check_duplicates(self, entries: dict[str, list[dict[str, Any]]]) -> None:
        keys: dict[str, Callable[[dict[str, Any]], object]] = {
            "buildings": lambda e: e.get("id"),
            "sensors": lambda e: uuid_key(str(e.get("uuid"))),
            "aliases": lambda e: (uuid_key(str(e.get("sensor"))), e.get("building"), e.get("section")),
        }
        for kind, key in keys.items():
            seen: dict[Any, int] = {}
            for index, entry in enumerate(entries[kind]):
                if isinstance(entry, dict) and not isinstance(k := key(entry), list | dict):
                    if k in seen:
                        self.errors.append(f"{self.where(kind, index)}: duplicate of {self.where(kind, seen[k])}")
                    seen.setdefault(k, index)

    def where(self, kind: str, index: int) -> str:
        line = self.lines.get((kind, index))
        return f"{kind}[{index}]" + (f" (line {line})" if line else "")

    def run(self, kind: str, index: int, entry: dict[str, Any], apply: Callable[[dict[str, Any]], Outcome]) -> None:
        try:
            with transaction.atomic():
                self.report.count(kind, apply(entry))
        except _EntryError as exc:
            self.errors.append(f"{self.where(kind, index)}: {exc}")
        except ValidationError as exc:
            self.errors.append(f"{self.where(kind, index)}: {_describe(exc)}")

    # -- one entry of each kind; each returns created / updated / unchanged ----------------

    def building(self, entry: dict[str, Any]) -> Outcome:
        building_id = _integer(entry, "id", maximum=MAX_BUILDING_ID)
        existing = Building.objects.filter(pk=building_id).first()
        building = existing or Building(id=building_id)
        wanted = {
            "name": _text(entry, "name"),
            "address": _text(entry, "address", building.address),
            "section_count": _integer(entry, "sections", building.section_count, maximum=MAX_SECTIONS),
            "default_section": _integer(entry, "default_section", building.default_section, maximum=MAX_SECTIONS),
            "latitude": _coordinate(entry, "latitude", building.latitude, limit=90),
            "longitude": _coordinate(entry, "longitude", building.longitude, limit=180),
            "timezone": _text(entry, "timezone", building.timezone),
            "schedule_group": _group(entry.get("schedule_group", building.schedule_group), "schedule_group"),
            "alert_region": _region(entry.get("alert_region", building.alert_region), "alert_region"),
            "alert_region_ukrainealarm": _region(
                entry.get("alert_region_ukrainealarm", building.alert_region_ukrainealarm), "alert_region_ukrainealarm"
            ),
            "public": _boolean(entry, "public", building.public),
        }
        outcome = _save_if_changed(building, wanted, created=existing is None)
        changed = "section_schedule_groups" in entry and self.section_groups(building, entry["section_schedule_groups"])
        changed |= "shelters" in entry and self.shelters(building, entry["shelters"])
        changed |= "contacts" in entry and self.contacts(building, entry["contacts"])
        return "updated" if changed and outcome == "unchanged" else outcome

    def shelters(self, building: Building, listed: Any) -> bool:
        """The building's shelters become those listed, matched by name: a shelter kept keeps
        its map (maps are uploaded in the admin), one not listed goes."""
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            raise _EntryError("shelters must be a list of mappings, e.g. [{name: Parking, distance_m: 80}]")
        existing = {shelter.name: shelter for shelter in building.shelters.all()}
        wanted: dict[str, dict[str, Any]] = {}
        for number, item in enumerate(listed, 1):
            if extra := set(item) - set(SHELTER_FIELDS):
                raise _EntryError(f"shelters {number}: unknown field(s) {', '.join(sorted(map(str, extra)))}")
            name = _text(item, "name").strip() if "name" in item else ""
            if not name or name in wanted:
                raise _EntryError(f"shelters {number}: each shelter needs a name of its own")
            distance = item.get("distance_m")
            if distance is not None and (not isinstance(distance, int) or isinstance(distance, bool) or distance < 0):
                raise _EntryError(f"shelters {number}: distance_m must be whole metres, not {shown(distance)}")
            wanted[name] = {
                "address": _text(item, "address", ""),
                "description": _text(item, "description", ""),
                "opening_hours": _text(item, "opening_hours", ""),
                "distance_m": distance,
            }
        changed = False
        for name, fields in wanted.items():
            shelter = existing.pop(name, None) or Shelter(building=building, name=name)
            changed |= _save_if_changed(shelter, fields, created=shelter.pk is None) != "unchanged"
        if existing:
            Shelter.objects.filter(pk__in=[shelter.pk for shelter in existing.values()]).delete()
        return changed or bool(existing)

    def contacts(self, building: Building, listed: Any) -> bool:
        """The building's contacts become those listed, in the file's order."""
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            raise _EntryError("contacts must be a list of mappings, e.g. [{role: electrician, phone: '+380...'}]")
        wanted = []
        for number, item in enumerate(listed, 1):
            if extra := set(item) - set(CONTACT_FIELDS):
                raise _EntryError(f"contacts {number}: unknown field(s) {', '.join(sorted(map(str, extra)))}")
            if isinstance(item.get("phone"), int):  # YAML reads +380671234567 as a number
                raise _EntryError(
                    f'contacts {number}: phone must be text such as "+380 67 123 45 67" (in quotes in YAML)'
                )
            contact = Contact(building=building, position=number)
            for name in CONTACT_FIELDS:
                setattr(contact, name, _text(item, name, Contact.Role.OTHER if name == "role" else ""))
            try:
                contact.full_clean(exclude=["building"])
            except ValidationError as exc:
                raise _EntryError(f"contacts {number}: {_describe(exc)}") from None
            contact.save()  # what it is saved as (a compact number, @username) is compared below
            wanted.append(contact)
        existing = [_contact_entry(contact) for contact in building.contacts.exclude(pk__in=[c.pk for c in wanted])]
        building.contacts.exclude(pk__in=[contact.pk for contact in wanted]).delete()
        return existing != [_contact_entry(contact) for contact in wanted]

    def section_groups(self, building: Building, groups: Any) -> bool:
        """Each listed section's own schedule group; the others have none of their own.
        Whether anything changed."""
        if not isinstance(groups, dict):
            raise _EntryError('section_schedule_groups must map section numbers to groups, e.g. {2: "3.2"}')
        wanted = {}
        for key, group in groups.items():
            # JSON's keys are always text: "2" is section 2 (export_mappings writes it so).
            number = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= building.section_count:
                raise _EntryError(
                    f"section_schedule_groups: {shown(key)} is not a section of the building "
                    f"(1 to {building.section_count})"
                )
            wanted[number] = _group(group, f"section_schedule_groups {number}")
        changed = False
        for section in building.sections.all():
            group = wanted.get(section.number, "")
            if section.schedule_group != group:
                Section.objects.filter(pk=section.pk).update(schedule_group=group)
                changed = True
        return changed

    def sensor(self, entry: dict[str, Any]) -> Outcome:
        uuid = _text(entry, "uuid").strip()
        section = _section(entry)
        existing = Sensor.objects.by_uuid(uuid).first() if uuid else None
        sensor = existing or Sensor(uuid=uuid)
        wanted = {
            "section_id": section.pk,
            "canonical": _boolean(entry, "canonical", sensor.canonical),
            "name": _text(entry, "name", sensor.name),
            "comment": _text(entry, "comment", sensor.comment),
            "enabled": _boolean(entry, "enabled", sensor.enabled),
        }
        return _save_if_changed(sensor, wanted, created=existing is None)

    def alias(self, entry: dict[str, Any]) -> Outcome:
        uuid = _text(entry, "sensor").strip()
        sensor = Sensor.objects.by_uuid(uuid).first()
        if sensor is None:
            raise _EntryError(f"sensor {uuid!r} is neither in the database nor in this file")
        alias = SensorAlias(sensor=sensor, section=_section(entry))
        if SensorAlias.objects.filter(sensor=sensor, section=alias.section).exists():
            return "unchanged"
        alias.full_clean()
        alias.save()
        return "created"


def _save_if_changed(obj: Building | Sensor | Shelter, wanted: dict[str, Any], *, created: bool) -> Outcome:
    if not created and all(getattr(obj, name) == value for name, value in wanted.items()):
        return "unchanged"
    for name, value in wanted.items():
        setattr(obj, name, value)
    obj.full_clean()
    if created:
        obj.save()
        return "created"
    # Only the file's fields: heartbeats and operators may be writing the others now.
    obj.save(update_fields=list(wanted))
    return "updated"


def _contact_entry(contact: Contact) -> dict[str, str]:
    return {field: value for field in CONTACT_FIELDS if (value := getattr(contact, field))}


def _describe(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "; ".join(
        " ".join(messages) if name == NON_FIELD_ERRORS else f"{name}: {' '.join(messages)}"
        for name, messages in error.message_dict.items()
    )


def _section(entry: dict[str, Any]) -> Section:
    building_id = _integer(entry, "building", maximum=MAX_BUILDING_ID)
    number = _integer(entry, "section", maximum=MAX_SECTIONS)
    section = Section.objects.filter(building_id=building_id, number=number).first()
    if section is None:
        if not Building.objects.filter(pk=building_id).exists():
            raise _EntryError(f"building {building_id} is neither in the database nor in this file")
        raise _EntryError(f"building {building_id} has no section {number}")
    return section


_MISSING: Any = object()


def _integer(entry: dict[str, Any], name: str, default: Any = _MISSING, *, maximum: int) -> int:
    value = entry.get(name, default)
    if value is _MISSING or not isinstance(value, int) or isinstance(value, bool):
        raise _EntryError(f"{name} must be a whole number, not {entry.get(name)!r}")
    if not 1 <= value <= maximum:
        raise _EntryError(f"{name} must be between 1 and {maximum}, not {value}")
    return value


def _text(entry: dict[str, Any], name: str, default: Any = _MISSING) -> str:
    value = entry.get(name, default)
    if value is None and default is not _MISSING:
        value = ""
    if not isinstance(value, str):
        raise _EntryError(f"{name} must be text, not {entry.get(name)!r}")
    if "\x00" in value:  # PostgreSQL cannot store it
        raise _EntryError(f"{name} must not contain a NUL character")
    return value


def _group(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or (value and not SCHEDULE_GROUP.fullmatch(value)):
        raise _EntryError(f'{name} must be text such as "3.1" (in quotes in YAML), not {shown(value)}')
    return value


def _region(value: Any, name: str) -> str:
    """A region number, written as text ("31") or, since YAML reads 31 as one, a number."""
    if value is None:
        return ""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or (text and not ALERT_REGION.fullmatch(text)):
        raise _EntryError(f'{name} must be a region number such as "31", not {shown(value)}')
    return text


def _boolean(entry: dict[str, Any], name: str, default: bool) -> bool:
    value = entry.get(name, default)
    if not isinstance(value, bool):
        raise _EntryError(f"{name} must be true or false, not {value!r}")
    return value


def _coordinate(entry: dict[str, Any], name: str, default: Decimal | None, *, limit: int) -> Decimal | None:
    value = entry.get(name, default)
    if value is None or isinstance(value, Decimal):
        return value
    if not isinstance(value, int | float) or isinstance(value, bool) or not -limit <= value <= limit:
        raise _EntryError(f"{name} must be a number from -{limit} to {limit}, not {value!r}")
    return Decimal(str(value)).quantize(Decimal("0.00001"))
