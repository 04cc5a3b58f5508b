"""Firmware rules: what an upload must be, which release a board is offered, what the fleet runs.

The admin, `manage.py release_firmware` and the sensor-facing API only call these.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from buildings.models import Building
from firmware import signing, versions
from firmware.image import ImageError, check_size, identity, inspect
from firmware.models import Board, Channel, FirmwareImage, FirmwareRelease, SensorFirmware
from sensors.models import Sensor, uuid_key
from sensors.status import with_online

if TYPE_CHECKING:  # names of django-stubs only
    from django_stubs_ext import WithAnnotations

    class _Running(TypedDict):
        running_on: int

    RunningRelease = WithAnnotations[FirmwareRelease, _Running]  # a release with running_on

# A board that downloaded a release and still reports the old version this long after is
# taken to have rolled back (the reference firmware installs and reboots within a minute).
INSTALL_GRACE = timedelta(minutes=15)


# What an update check answered, for the metrics' result label.
CHECK_RESULTS = ("offered", "current")

# Why a board refused an image it was offered, as its heartbeats report it (`update_refused`'s
# reason; the firmware's refusal_code()), for the fleet view and the metrics.
REFUSALS = {
    "unsigned": "the release is not signed",
    "bad_signature": "its signature does not verify with the board's release key",
    "wrong_size": "the image's size differs from the offer",
    "wrong_checksum": "the image's SHA-256 differs from the offer",
}


class UploadRefused(ValueError):
    """An upload that is not released, with what is wrong for the operator."""


@dataclass(frozen=True)
class Upload:
    """An image that passed every check, ready to be released."""

    board: str
    version: str
    data: bytes
    sha256: str
    signed: signing.Signed


def read_image(file: File[bytes]) -> bytes:
    """An uploaded file's bytes; a file over FIRMWARE_MAX_BYTES is refused before it is read."""
    try:
        check_size(file.size, max_bytes=settings.FIRMWARE_MAX_BYTES)
    except ImageError as exc:
        raise UploadRefused(str(exc)) from None
    file.seek(0)
    data: bytes = file.read()
    return data


def check_upload(board: str, version: str, data: bytes) -> Upload:
    """`data` as a release of `board`; `version` may be empty when the image names its own."""
    if board not in Board.values:
        raise UploadRefused(f"unknown board {board!r}; PowerBot's boards are {', '.join(Board.values)}")
    try:
        inspect(data, max_bytes=settings.FIRMWARE_MAX_BYTES)
        named = identity(data)
    except ImageError as exc:
        raise UploadRefused(str(exc)) from None
    version = version.strip() or (named.version if named is not None else "")
    if not version:
        raise UploadRefused("give the version: this image does not name its own")
    try:
        release = versions.release_key(version)
        if named is not None and named.board != board:
            raise UploadRefused(f"the image is built for the {named.board} board, not {board}")
        if named is not None and versions.parse(named.version) != release:
            # A board running it would report the other version and be offered this release for ever.
            raise UploadRefused(f"the image says it is version {named.version}, not {version}")
    except ValueError as exc:
        raise UploadRefused(str(exc)) from None
    sha256 = hashlib.sha256(data).hexdigest()
    if FirmwareRelease.objects.filter(board=board, version=version).exists():
        raise UploadRefused(f"{board} already has a release {version}")
    twin = FirmwareRelease.objects.filter(board=board, sha256=sha256).values_list("version", flat=True).first()
    if twin is not None:
        raise UploadRefused(f"this very image is already released for {board} as {twin}")
    return Upload(board, version, data, sha256, signing.sign(signing_key(), board, version, sha256))


def signing_key() -> ec.EllipticCurvePrivateKey:
    """The configured release signing key; UploadRefused saying what to do when there is none."""
    if settings.FIRMWARE_SIGNING_KEY is None:
        raise UploadRefused(
            f"boards install only signed releases, and FIRMWARE_SIGNING_KEY is not set: {signing.HOW_TO_MAKE_ONE}"
        )
    try:
        return signing.load_key(settings.FIRMWARE_SIGNING_KEY)
    except signing.SigningKeyError as exc:
        raise UploadRefused(f"FIRMWARE_SIGNING_KEY: {exc}") from None


def publish(
    release: FirmwareRelease, upload: Upload, *, buildings: Iterable[Building] = (), created_by: str = ""
) -> FirmwareRelease:
    """Save `release` (its channel, notes, rollout ... as set) with the uploaded image: all or nothing."""
    release.board, release.version = upload.board, upload.version
    release.size, release.sha256, release.created_by = len(upload.data), upload.sha256, created_by
    release.signature, release.signing_key = upload.signed.signature, upload.signed.key_id
    try:
        with transaction.atomic():
            release.save()
            FirmwareImage.objects.create(release=release, data=upload.data)
            release.buildings.set(buildings)
    except IntegrityError:
        # The same version or image was released by someone else since it was checked.
        release.pk = None
        raise UploadRefused(f"{upload.board} {upload.version}, or this image, was released meanwhile") from None
    return release


def in_rollout(release: FirmwareRelease, sensor_key: str, building_id: int | None) -> bool:
    """Whether a sensor is among those `release` is offered to.

    Each sensor falls in one of a hundred buckets, fixed per release, so raising the share
    from 10 % to 50 % keeps the first tenth in, and each release starts on other sensors.
    """
    targeted = {building.pk for building in release.buildings.all()}
    if targeted and building_id not in targeted:
        return False
    digest = hashlib.sha256(f"{release.board}/{release.version}/{sensor_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < release.rollout_percent


@dataclass(frozen=True)
class Offer:
    release: FirmwareRelease
    # Mandatory when any release it supersedes for the board is: skipping to a newer
    # optional release must not skip a mandatory fix.
    mandatory: bool


def firmware_of(sensor: Sensor | None) -> SensorFirmware | None:
    """The sensor's firmware record, if it has one yet (select_related("firmware") saves the query)."""
    return getattr(sensor, "firmware", None) if sensor is not None else None


def offered_release(sensor_uuid: str, board: str, running: str) -> Offer | None:
    """The newest active release `board` should install in place of `running`, if any.

    A sensor is offered releases of its channel (beta sensors get stable ones too) whose
    rollout includes it. The check is recorded for the fleet view. Versions must be valid.
    """
    current = versions.parse(running)
    sensor = _sensor(sensor_uuid)
    candidates = [
        release
        for release in FirmwareRelease.objects.filter(board=board, active=True).prefetch_related("buildings")
        if versions.parse(release.version) > current and _for(release, sensor, sensor_uuid)
    ]
    newest = max(candidates, key=lambda release: versions.parse(release.version), default=None)
    if sensor is not None:
        SensorFirmware.objects.update_or_create(
            sensor=sensor,
            defaults={
                "board": board,
                "checked_at": timezone.now(),
                "checked_version": running,
                "offered_version": newest.version if newest else "",
            },
        )
    return Offer(newest, any(release.mandatory for release in candidates)) if newest else None


def downloadable(board: str, version: str, sensor_uuid: str) -> FirmwareRelease | None:
    """An active release by its board and exact version, with its image, if it is one the
    update check would offer this sensor (its channel, the release's buildings and rollout):
    any key is not a way to beta, targeted or not-yet-rolled-out images. Pulled releases are
    not served."""
    release = (
        FirmwareRelease.objects.select_related("image")
        .prefetch_related("buildings")
        .filter(board=board, version=version, active=True)
        .first()
    )
    return release if release is not None and _for(release, _sensor(sensor_uuid), sensor_uuid) else None


def _sensor(sensor_uuid: str) -> Sensor | None:
    return Sensor.objects.by_uuid(sensor_uuid).select_related("section", "firmware").first()


def _for(release: FirmwareRelease, sensor: Sensor | None, sensor_uuid: str) -> bool:
    """Whether `release` is for this sensor: stable ones for all, beta ones for beta sensors,
    within its buildings and its rollout."""
    record = firmware_of(sensor)
    if release.channel == Channel.BETA and (record is None or record.channel != Channel.BETA):
        return False
    building_id = sensor.section.building_id if sensor is not None else None
    return in_rollout(release, uuid_key(sensor_uuid), building_id)


def image_bytes(release: FirmwareRelease) -> bytes:
    return bytes(release.image.data)


def record_download(release: FirmwareRelease, sensor_uuid: str) -> None:
    sensor_pk = Sensor.objects.by_uuid(sensor_uuid).values_list("pk", flat=True).first()
    if sensor_pk is not None:
        SensorFirmware.objects.update_or_create(
            sensor_id=sensor_pk,
            defaults={
                "board": release.board,
                "downloaded_version": release.version,
                "downloaded_at": timezone.now(),
            },
        )


def set_active(releases: QuerySet[FirmwareRelease], active: bool) -> int:
    """Pull releases (no longer offered or served; boards on them stay) or reinstate them."""
    return releases.exclude(active=active).update(active=active)


def set_channel(sensors: QuerySet[Sensor], channel: Channel) -> int:
    """Put sensors on an update channel; their next check is answered from it."""
    rows = [SensorFirmware(sensor_id=pk, channel=channel) for pk in sensors.values_list("pk", flat=True)]
    SensorFirmware.objects.bulk_create(rows, update_conflicts=True, update_fields=["channel"], unique_fields=["sensor"])
    return len(rows)


# --- The fleet view ----------------------------------------------------------------------


def latest_versions() -> dict[str, str]:
    """Each board's newest active stable release: what a sensor should run to be current."""
    latest: dict[str, versions.Version] = {}
    for board, version in FirmwareRelease.objects.filter(active=True, channel=Channel.STABLE).values_list(
        "board", "version"
    ):
        parsed = versions.parse(version)
        latest[board] = max(latest.get(board, parsed), parsed)
    return {board: str(version) for board, version in latest.items()}


def is_older(reported: str, latest: str | None) -> bool | None:
    """Whether a reported version is older than the latest; None when it cannot be told."""
    if latest is None:
        return None
    try:
        return versions.parse(reported) < versions.parse(latest)
    except ValueError:
        return None


@dataclass(frozen=True)
class VersionCount:
    board: str  # "" while the sensors have never checked for an update
    version: str  # as the heartbeats report it; "" when they report none
    sensors: int
    online: int
    latest: str | None  # the board's newest stable release
    outdated: bool | None  # None: no release for the board, or not a semantic version


def fleet_versions(latest: dict[str, str], now: datetime | None = None) -> list[VersionCount]:
    """How many enabled sensors run each version, per board, newest first; `latest` is
    latest_versions()."""
    rows = (
        with_online(Sensor.objects.filter(enabled=True), now or timezone.now())
        .values("firmware__board", "firmware_version")
        .annotate(sensors=Count("pk"), online=Count("pk", filter=Q(is_up=True)))
    )
    counts = []
    for row in rows:
        board = row["firmware__board"] or ""
        counts.append(
            VersionCount(
                board,
                row["firmware_version"],
                row["sensors"],
                row["online"],
                latest.get(board),
                is_older(row["firmware_version"], latest.get(board)),
            )
        )
    return sorted(counts, key=lambda count: (count.board, _sortable(count.version)), reverse=True)


def _sortable(version: str) -> tuple[int, versions.Version | str]:
    try:
        return (1, versions.parse(version))
    except ValueError:
        return (0, version)


def outdated_sensors(latest: dict[str, str]) -> Q:
    """Sensors whose board has a newer stable release (`latest`, latest_versions()) than the
    version they report."""
    reported = defaultdict(set)
    pairs = SensorFirmware.objects.filter(board__in=latest).values_list("board", "sensor__firmware_version").distinct()
    for board, version in pairs:
        reported[board].add(version)
    condition = Q(pk__in=[])
    for board, seen in reported.items():
        older = [version for version in seen if is_older(version, latest[board])]
        if older:
            condition |= Q(firmware__board=board, firmware_version__in=older)
    return condition


def update_status(sensor: Sensor, newest: str | None, now: datetime | None = None) -> str:
    """One line for the fleet view: is this sensor's firmware current (`newest` is its board's
    newest stable release), and if not, why."""
    record = firmware_of(sensor)
    if record is None or not record.board:
        return "never checked for updates"
    if newest is None:
        return "no stable release for its board"
    older = is_older(sensor.firmware_version, newest)
    if older is None:
        return f"reports {sensor.firmware_version or 'no version'}, not a semantic version"
    if not older:
        return "up to date"
    now = now or timezone.now()
    if (
        record.downloaded_version
        and record.downloaded_at
        and now - record.downloaded_at > INSTALL_GRACE
        and is_older(sensor.firmware_version, record.downloaded_version)
    ):
        return f"downloaded {record.downloaded_version} but still runs {sensor.firmware_version}: rolled back?"
    refused = refusal(sensor)
    if refused:
        return refused
    if record.offered_version:
        return f"{record.offered_version} offered at its last check"
    return f"{newest} not offered yet (rollout, channel or targeting)"


def refusal(sensor: Sensor) -> str:
    """What the sensor's board last refused to install, as its heartbeats report it; "" for nothing."""
    refused = sensor.telemetry.get("update_refused")
    reason = refused.get("reason") if isinstance(refused, dict) else None
    if not isinstance(reason, str) or reason not in REFUSALS:  # telemetry is whatever a board sent
        return ""
    version = refused.get("version")
    return f"refused {version if isinstance(version, str) and version else 'an update'}: {REFUSALS[reason]}"


def refusing_sensors() -> dict[str, int]:
    """Enabled sensors whose boards report refusing an offered image, by reason (every reason listed)."""
    reported = (
        Sensor.objects.filter(enabled=True, telemetry__update_refused__reason__in=list(REFUSALS))
        .values_list("telemetry__update_refused__reason")
        .annotate(n=Count("pk"))
    )
    return dict.fromkeys(REFUSALS, 0) | dict(reported)


def with_running_on(releases: QuerySet[FirmwareRelease]) -> QuerySet[RunningRelease]:
    """Each release with `running_on`: the boards of its kind that report its version."""
    running = (
        SensorFirmware.objects.filter(board=OuterRef("board"), sensor__firmware_version=OuterRef("version"))
        .values("board")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return releases.annotate(running_on=Coalesce(Subquery(running), 0))
