"""Firmware releases for over-the-air updates, and what each sensor's board says about itself.

A release's image lives in the database beside its record, not in a media folder: it is
written in the same transaction (an upload is either wholly there or not at all), every
web process on every machine serves it from the one database, and backups carry it.
Images are a megabyte or two and there are a handful per board.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from buildings.models import Building
from firmware.versions import MAX_LENGTH as VERSION_MAX_LENGTH
from firmware.versions import validate_release_version
from sensors.models import Sensor


class Board(models.TextChoices):
    """The boards the reference firmware is built for; the id is what a board sends as `board`."""

    ESP32_WIFI = "esp32-wifi", "ESP32 DevKit on Wi-Fi"
    WT32_ETH01 = "wt32-eth01", "WT32-ETH01 on Ethernet"


class Channel(models.TextChoices):
    STABLE = "stable", "stable"
    BETA = "beta", "beta"  # offered only to sensors an operator put on the beta channel


class FirmwareRelease(models.Model):
    board = models.CharField(max_length=32, choices=Board.choices)
    version = models.CharField(
        max_length=VERSION_MAX_LENGTH,
        validators=[validate_release_version],
        help_text="Semantic version, e.g. 1.4.0 or 1.5.0-rc.1: what the board reports once it runs this image.",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.STABLE)
    notes = models.TextField("release notes", blank=True)
    mandatory = models.BooleanField(
        default=False,
        help_text="Boards install it even when their automatic updates are turned off (security fixes).",
    )
    active = models.BooleanField(
        default=True,
        help_text="Offered to boards and downloadable. Clear it to pull a bad release at once.",
    )
    rollout_percent = models.PositiveSmallIntegerField(
        "rollout (%)",
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the targeted sensors that are offered it; "
        "raise it step by step (the same sensors stay in).",
    )
    buildings = models.ManyToManyField(
        Building,
        blank=True,
        related_name="+",
        help_text="Only sensors in these buildings are offered it. None chosen: the whole fleet.",
    )
    size = models.PositiveIntegerField(editable=False, help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    signature = models.CharField(
        max_length=144,
        blank=True,
        editable=False,
        help_text="ECDSA P-256 signature (hex DER) of the board, version and SHA-256, by the release signing key. "
        "Empty for a release made before releases were signed: boards that check signatures refuse it.",
    )
    signing_key = models.CharField(
        "signed with key", max_length=16, blank=True, editable=False, help_text="The signing key's id."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["board", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "version"],
                name="firmware_release_unique_version",
                violation_error_message="This board already has a release with this version.",
            ),
            # The same image under two versions would report one of them and be offered the other for ever.
            models.UniqueConstraint(fields=["board", "sha256"], name="firmware_release_unique_image"),
            models.CheckConstraint(
                condition=models.Q(rollout_percent__gte=1, rollout_percent__lte=100),
                name="firmware_rollout_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board} {self.version}"


class FirmwareImage(models.Model):
    """A release's bytes, in a table of their own so that listing releases never loads them."""

    release = models.OneToOneField(FirmwareRelease, on_delete=models.CASCADE, primary_key=True, related_name="image")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"image of {self.release}"


class SensorFirmware(models.Model):
    """A sensor's update channel (set by an operator) and what its board last said when it
    checked for an update or downloaded one."""

    sensor = models.OneToOneField(Sensor, on_delete=models.CASCADE, primary_key=True, related_name="firmware")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.STABLE)
    board = models.CharField(max_length=32, choices=Board.choices, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Its last update check.")
    checked_version = models.CharField(
        max_length=VERSION_MAX_LENGTH, blank=True, help_text="The version it ran at that check."
    )
    offered_version = models.CharField(
        max_length=VERSION_MAX_LENGTH, blank=True, help_text="What that check offered it, if anything."
    )
    downloaded_version = models.CharField(max_length=VERSION_MAX_LENGTH, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sensor firmware"
        verbose_name_plural = "sensor firmware"

    def __str__(self) -> str:
        return f"{self.sensor}: {self.channel}"


class FleetSensor(Sensor):
    """Sensors as the fleet view shows them: the firmware each runs and whether it is current."""

    class Meta:
        proxy = True
        verbose_name = "fleet sensor"
        verbose_name_plural = "fleet (firmware per sensor)"
