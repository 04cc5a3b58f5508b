from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy

from buildings.maps import Picture

# Firmware sends the building id as a JSON integer; the database column is 32-bit.
MAX_BUILDING_ID = 2**31 - 1
MAX_SECTIONS = 99


# Distribution companies name their planned-outage groups "3.1" (queue 3, subgroup 1) or "3".
SCHEDULE_GROUP = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")  # used with fullmatch; ASCII digits only


# Air-raid alert regions are numbers: alerts.in.ua's UIDs ("31": Kyiv), ukrainealarm's ids.
ALERT_REGION = re.compile(r"[0-9]{1,6}")  # used with fullmatch


def validate_alert_region(value: str) -> None:
    if value and not ALERT_REGION.fullmatch(value):
        raise ValidationError(f"{value!r} is not an alert region: write its number, e.g. 31 (Kyiv).")


def validate_schedule_group(value: str) -> None:
    if value and not SCHEDULE_GROUP.fullmatch(value):
        raise ValidationError(f"{value!r} is not a schedule group: write it as the company does, e.g. 3.1.")


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Kyiv).") from None


class MapPicture(models.Model):
    """A map kept in the database, not on a web server's disk, so the bot's process on another
    host reads it too; Telegram gets it once, and after that its file id."""

    map_image = models.BinaryField(null=True, blank=True, editable=False)
    map_type = models.CharField(max_length=20, blank=True, editable=False)
    map_version = models.PositiveIntegerField(default=0, editable=False, help_text="Maps uploaded so far.")
    telegram_file_id = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The map as Telegram knows it after its first upload (cleared when the map changes).",
    )

    class Meta:
        abstract = True

    def set_map(self, picture: Picture | None) -> None:
        """A new map (or none): Telegram's file id of the old one no longer shows it."""
        self.map_image = picture.data if picture is not None else None
        self.map_type = picture.mime if picture is not None else ""
        self.telegram_file_id = ""
        self.map_version += 1

    @classmethod
    def remember_file_id(cls, pk: int, map_version: int, file_id: str) -> bool:
        """Keep Telegram's file id of the map once sent, unless the map changed meanwhile."""
        return bool(cls._default_manager.filter(pk=pk, map_version=map_version).update(telegram_file_id=file_id))


class BuildingManager(models.Manager["Building"]):
    def get_queryset(self) -> models.QuerySet[Building]:
        # The map's bytes are read where it is sent, not with every building.
        return super().get_queryset().defer("map_image")


class Building(MapPicture):
    # The id is chosen by the operator: it is what the firmware in the field sends.
    id = models.IntegerField(primary_key=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)])
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=250, blank=True)
    public = models.BooleanField(
        default=False,
        help_text="Anyone may see its sections' power state, without a key (badges: /badge/<building>/<section>.svg).",
    )
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="Empty means the server's TIME_ZONE.",
    )
    section_count = models.PositiveSmallIntegerField(
        "sections",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SECTIONS)],
        help_text="Sections (entrances) are numbered 1..N.",
    )
    default_section = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Where heartbeats without a section_id go.",
    )
    schedule_group = models.CharField(
        max_length=8,
        blank=True,
        validators=[validate_schedule_group],
        help_text="Planned-outage group of every section (e.g. 3.1). Empty: a section's own, or the one "
        "Yasno's address look-up finds.",
    )
    alert_region = models.CharField(
        max_length=6,
        blank=True,
        validators=[validate_alert_region],
        help_text="Air-raid alert region: alerts.in.ua's region number (31 is Kyiv). Empty: "
        "ALERTS_CITY_UID_ALERTS_IN_UA.",
    )
    alert_region_ukrainealarm = models.CharField(
        "alert region at ukrainealarm",
        max_length=6,
        blank=True,
        validators=[validate_alert_region],
        help_text="ukrainealarm's number of the same region, when it differs. Empty: the alert region "
        "(or ALERTS_CITY_ID_UKRAINEALARM when that is empty too).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BuildingManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(section_count__gte=1, default_section__gte=1)
                & models.Q(default_section__lte=models.F("section_count")),
                name="building_default_section_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Sections 1..N exist exactly when the building says it has N sections.
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Checked again here, not only in clean(): something may have come to refer to a
            # section since, and it must not be deleted with it.
            if problems := _in_use(self.sections.filter(number__gt=self.section_count)):
                raise ValidationError({"section_count": "; ".join(problems)})
            self.sync_sections()

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone or settings.TIME_ZONE)

    def clean(self) -> None:
        if self.default_section and self.section_count and self.default_section > self.section_count:
            raise ValidationError({"default_section": f"Must be between 1 and {self.section_count}."})
        if (
            self.pk is not None
            and self.section_count
            and (problems := _in_use(self.sections.filter(number__gt=self.section_count)))
        ):
            raise ValidationError({"section_count": "; ".join(problems)})

    def sync_sections(self) -> None:
        existing = set(self.sections.values_list("number", flat=True))
        wanted = set(range(1, self.section_count + 1))
        Section.objects.bulk_create(Section(building=self, number=n) for n in sorted(wanted - existing))
        if existing - wanted:
            self.sections.filter(number__gt=self.section_count).delete()


def _in_use(removed: models.QuerySet[Section]) -> list[str]:
    """Why sections cannot be removed: what still refers to them (sensors and aliases, to be
    moved first; power history and subscriptions, which are kept for good; broadcasts). The
    apps above register these relations; only the section's own recorded state goes with it."""
    if not removed.exists():
        return []  # the usual save: no section is removed
    problems = []
    for relation in Section._meta.related_objects:
        if relation.one_to_one or getattr(relation.related_model, "deleted_with_section", False):
            continue  # its recorded power state, neighbours' answers of the moment: not history
        numbers = sorted(
            set(
                relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": removed}).values_list(
                    f"{relation.field.name}__number", flat=True
                )
            )
        )
        if numbers:
            what = relation.related_model._meta.verbose_name_plural
            problems.append(f"sections {numbers} still have {what}")
    if problems:
        problems.append(
            "move sensors and aliases to other sections first; a section with power history, "
            "subscriptions or broadcasts is kept"
        )
    return problems


class SectionManager(models.Manager["Section"]):
    def get_queryset(self) -> models.QuerySet[Section]:
        # A section is always shown with its building's name (admin choices, aliases).
        return super().get_queryset().select_related("building").defer("building__map_image")


class Section(models.Model):
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120, blank=True, help_text='Optional, e.g. "Entrance B".')
    schedule_group = models.CharField(
        max_length=8,
        blank=True,
        validators=[validate_schedule_group],
        help_text="Planned-outage group of this section, when it differs from the building's.",
    )

    objects = SectionManager()

    class Meta:
        ordering = ["building_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="section_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="section_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} / {self.label}"

    @property
    def label(self) -> str:
        return self.name or f"Section {self.number}"


class Shelter(MapPicture):
    """Where a building's residents go during an air-raid alert, with its map."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="shelters")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=250, blank=True)
    description = models.TextField(  # with the rest, within a photo caption's 1,024 characters
        max_length=600,
        blank=True,
        validators=[MaxLengthValidator(600)],
        help_text="How to get in, what is there (water, toilets, a generator).",
    )
    opening_hours = models.CharField(max_length=120, blank=True, help_text='e.g. "during alerts" or "24/7".')
    distance_m = models.PositiveIntegerField(
        "walking distance (m)",
        null=True,
        blank=True,
        help_text="From the building; the nearest shelter is the one named in alert notices.",
    )

    class Meta:
        ordering = ["building_id", models.F("distance_m").asc(nulls_last=True), "name", "id"]

    def __str__(self) -> str:
        return self.name


# A phone number residents can tap: international (+380 67 123 45 67) or a short service number (104).
PHONE = re.compile(r"\+[1-9][0-9]{6,14}|[0-9]{2,6}")
PHONE_SEPARATORS = re.compile(r"[\s().-]")
TELEGRAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
TELEGRAM_LINK = re.compile(r"https://t\.me/[A-Za-z0-9_+/-]{2,100}")


def compact_phone(value: str) -> str:
    """ "+380 (67) 123-45-67" as Telegram recognises it for a tap to call: "+380671234567"."""
    return PHONE_SEPARATORS.sub("", value)


def validate_phone(value: str) -> None:
    if value and not PHONE.fullmatch(compact_phone(value)):
        raise ValidationError(
            f"{value!r} is not a phone number to call: write it with the country code "
            "(+380 67 123 45 67), or a short service number (104)."
        )


def validate_telegram(value: str) -> None:
    if value and not (TELEGRAM_NAME.fullmatch(value.removeprefix("@")) or TELEGRAM_LINK.fullmatch(value)):
        raise ValidationError(f"{value!r} is neither a Telegram username (@name) nor a link (https://t.me/...).")


class Contact(models.Model):
    """Someone residents call about the building: ordered as the operator lists them."""

    class Role(models.TextChoices):
        SECURITY = "security", gettext_lazy("Security")
        PLUMBER = "plumber", gettext_lazy("Plumber")
        ELECTRICIAN = "electrician", gettext_lazy("Electrician")
        LIFT = "lift", gettext_lazy("Lift dispatcher")
        MANAGEMENT = "management", gettext_lazy("Management office")
        OTHER = "other", gettext_lazy("Other")

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveSmallIntegerField(default=0, help_text="Smaller first.")
    role = models.CharField(
        max_length=12,
        choices=Role.choices,
        default=Role.OTHER,
        help_text="The electrician is named on power-off notices.",
    )
    label = models.CharField(max_length=80, blank=True, help_text='e.g. "Ivan, duty electrician"; empty: the role.')
    phone = models.CharField(max_length=32, blank=True, validators=[validate_phone])
    telegram = models.CharField(
        max_length=120, blank=True, validators=[validate_telegram], help_text="@username or https://t.me/... link."
    )
    hours = models.CharField(max_length=80, blank=True, help_text='e.g. "8:00–20:00" or "24/7".')
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["building_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(phone="", telegram=""), name="contact_has_phone_or_telegram"),
        ]

    def __str__(self) -> str:
        return self.label or self.get_role_display()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone = compact_phone(self.phone)
        if TELEGRAM_NAME.fullmatch(self.telegram.removeprefix("@")):
            self.telegram = "@" + self.telegram.removeprefix("@")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.phone and not self.telegram:
            raise ValidationError("Give a phone number or a Telegram username to reach them by.")
