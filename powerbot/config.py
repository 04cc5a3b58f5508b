"""Strict parsing of PowerBot's environment variables.

Every variable is parsed once, at start-up, so that a typo stops the service with a
message that names the variable instead of surfacing later as a confusing failure in a
request. django-environ reads the optional `.env` file and parses database URLs; the
helpers here add the strictness it does not have (it reads "flase" as False, for one).
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import re
import secrets
import time
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import environ  # type: ignore[import-untyped]  # django-environ ships no type information
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MAP_SEPARATORS = re.compile(r"[,;\s]+")
_ALIAS_VARIABLE = re.compile(r"^SENSOR_ALIAS_(\d+)_(\d+)$")
_YASNO_VARIABLE = re.compile(r"^YASNO_BUILDING_(\d+)_(STREET_QUERY|HOUSE_QUERIES)(?:_SEC_(\d+))?$")

SectionRef = tuple[int, int]
N = TypeVar("N", int, float)
SUPPORTED_DATABASES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


class ConfigError(ImproperlyConfigured):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"Environment variable {name}: {problem}")


def read_env_file(path: Path) -> None:
    """Load `.env` if present; real environment variables win over the file."""
    if path.is_file():
        environ.Env.read_env(str(path), overwrite=False)


def get_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def get_bool(name: str, default: bool) -> bool:
    raw = get_str(name)
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(name, f"{raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def get_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = get_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None
    return _within(name, value, minimum, maximum)


def get_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = get_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number (write it with a dot: 50.45)") from None
    if not math.isfinite(value):
        raise ConfigError(name, f"{raw!r} is not a number")
    return _within(name, value, minimum, maximum)


def _within(name: str, value: N, minimum: N | None, maximum: N | None) -> N:
    if minimum is not None and value < minimum:
        raise ConfigError(name, f"{value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(name, f"{value} is above the maximum of {maximum}")
    return value


def get_digits(name: str, default: str, *, max_length: int) -> str:
    """A number kept as text (a region's id at an outside service)."""
    value = get_str(name, default)
    if not re.fullmatch(rf"[0-9]{{1,{max_length}}}", value):
        raise ConfigError(name, f"{value!r} must be a number of at most {max_length} digits")
    return value


def get_slug(name: str, default: str) -> str:
    """A name of letters, digits, _ and - (at most 64): safe inside a topic or a key."""
    value = get_str(name, default)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ConfigError(name, f"{value!r} may hold only letters, digits, _ and -, at most 64 of them")
    return value


_RATE = re.compile(r"([0-9]+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)", re.IGNORECASE)
# DRF keeps the time of each request counted in the window: a larger count is no limit, and heavy.
RATE_MAX_COUNT = 10_000


def get_rate(name: str, default: str) -> str | None:
    """A request rate such as 600/min (per s, min, hour or day), as DRF's throttles read it;
    0 turns the limit off (None)."""
    value = get_str(name) or default
    if value == "0":
        return None
    match = _RATE.fullmatch(value)
    if match is None or not 1 <= int(match[1]) <= RATE_MAX_COUNT:
        raise ConfigError(
            name,
            f"{value!r} is not a rate such as 600/min (1 to {RATE_MAX_COUNT} per s, min, hour or day), "
            "or 0 for no limit",
        )
    return f"{int(match[1])}/{match[2].lower()}"


def get_list(name: str, default: list[str]) -> list[str]:
    raw = get_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_int_set(name: str) -> frozenset[int]:
    """Whole numbers separated by commas or white space, e.g. Telegram user ids."""
    items = [item for item in _MAP_SEPARATORS.split(get_str(name)) if item]
    try:
        return frozenset(int(item) for item in items)
    except ValueError:
        raise ConfigError(name, f"{get_str(name)!r} must be whole numbers separated by commas") from None


def get_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = get_str(name, default).lower()
    if value not in choices:
        raise ConfigError(name, f"{value!r} is not one of: {', '.join(choices)}")
    return value


def get_networks(name: str, default: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or CIDR networks separated by commas or white space; a lone address is a /32 (/128)."""
    items = [item for item in _MAP_SEPARATORS.split(get_str(name, default)) if item]
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as exc:
        raise ConfigError(name, f"{exc} (use addresses or networks such as 10.0.0.0/8, separated by commas)") from None


def get_timezone(name: str, default: str) -> str:
    value = get_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(name, f"{value!r} is not a known time zone (e.g. Europe/Kyiv)") from None
    return value


def get_url(name: str, default: str) -> str:
    value = get_str(name, default).rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+", value):
        raise ConfigError(name, f"{value!r} must be a root URL such as https://api.telegram.org (no path)")
    return value


def get_file(name: str, *, missing: str = "") -> Path | None:
    """A file that must exist (a key kept outside the database), or None when unset; `missing`
    tells how to make one that is not there yet."""
    value = get_str(name)
    if not value:
        return None
    try:
        path = Path(value).expanduser().absolute()  # the same file whatever folder a process works in
        if path.is_file():
            return path
        there = path.exists()
    except (OSError, RuntimeError) as exc:  # a folder it may not search; ~nobody/
        raise ConfigError(name, f"{value!r} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    raise ConfigError(name, f"{value!r} is not a file" + (f"; {missing}" if missing and not there else ""))


def get_api_url(name: str, default: str) -> str:
    """An API's base URL, which may have a path (no query): requests add theirs to it."""
    value = get_str(name, default).rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", value):
        raise ConfigError(name, f"{value!r} must be a URL such as https://api.example.org/v1 (no query)")
    return value


def get_page_url(name: str) -> str:
    """A full URL with a path (a webhook's), or "" when unset."""
    value = get_str(name)
    if value and not re.fullmatch(r"https?://[^/\s?#]+/[^\s?#]*", value):
        raise ConfigError(
            name, f"{value!r} must be a full URL with a path, such as https://power.example.org/telegram/webhook"
        )
    return value


@dataclass(frozen=True)
class BrokerURL:
    """Where an MQTT broker listens, and how to log in to it."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    def __str__(self) -> str:  # for logs: never the password
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def get_broker_url(name: str) -> BrokerURL | None:
    """An MQTT broker's URL (mqtt://user:pass@host:1883, or mqtts:// for TLS), or None when unset."""
    value = get_str(name)
    if not value:
        return None
    problem = f"{value!r} must be a broker URL such as mqtt://user:password@127.0.0.1:1883 (or mqtts:// for TLS)"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ConfigError(name, problem) from None
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ConfigError(name, problem)
    tls = parts.scheme == "mqtts"
    return BrokerURL(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        tls=tls,
    )


def get_bind(name: str, default: str) -> tuple[str, int]:
    """`host:port` to listen on."""
    raw = get_str(name, default)
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(name, f"{raw!r} must be host:port, such as 0.0.0.0:8081")
    return host.strip("[]"), int(port)


def get_token(name: str) -> str:
    """A secret of Telegram's alphabet (letters, digits, _ and -, at most 256), or "" when unset."""
    value = get_str(name)
    if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
        raise ConfigError(name, "may hold only letters, digits, _ and -, at most 256 of them")
    return value


def get_database(name: str, default: str) -> dict[str, Any]:
    raw = get_str(name, default)
    try:
        config = environ.Env.db_url_config(raw)
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ConfigError(name, f"cannot parse {raw!r} ({exc})") from None
    if config.get("ENGINE") not in SUPPORTED_DATABASES:
        raise ConfigError(name, f"{raw!r} is not supported: use sqlite:///path or postgres://user@host:port/name")
    return dict(config)


def get_secret_key(name: str, fallback_file: Path) -> str:
    """The configured key, or one generated once and kept in the data folder.

    The embedded default must run with nothing configured, and sessions must survive a
    restart, so a random key is written beside the SQLite database on first start.
    """
    value = get_str(name)
    if value:
        return value
    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    try:
        # Created readable by its owner only from the first byte, and only once: processes
        # starting together race here, and all of them must sign with the winner's key.
        descriptor = os.open(fallback_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with contextlib.suppress(PermissionError):  # another user's file: theirs to tighten
            fallback_file.chmod(0o600)  # one written before keys were created private
        return _written_key(fallback_file)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value


def _written_key(path: Path) -> str:
    """The key another process wrote (waiting a moment for one still writing it)."""
    for _ in range(50):
        if value := path.read_text().strip():
            return value
        time.sleep(0.1)
    raise ImproperlyConfigured(f"{path} is empty: delete it, or set SECRET_KEY")


def parse_uuid_building_map(name: str, raw: str) -> dict[str, int]:
    """`SENSOR_UUID_BUILDING_MAP="uuid:10,uuid2=11"` -> {"uuid": 10, "uuid2": 11}.

    Entries are separated by `,`, `;` or white space; uuids are matched
    case-insensitively, so the keys are lower-cased.
    """
    mapping: dict[str, int] = {}
    for entry in filter(None, _MAP_SEPARATORS.split(raw.strip())):
        match = re.fullmatch(r"(.+)[:=](\d+)", entry)
        if not match or len(match.group(1)) > 64:
            raise ConfigError(name, f"entry {entry!r} must look like uuid:building_id or uuid=building_id")
        building_id = int(match.group(2))
        if not 1 <= building_id <= 2**31 - 1:
            raise ConfigError(name, f"entry {entry!r}: building id must be between 1 and {2**31 - 1}")
        mapping[match.group(1).lower()] = building_id
    return mapping


def parse_section_aliases(environment: Mapping[str, str]) -> dict[SectionRef, tuple[SectionRef, ...]]:
    """`SENSOR_ALIAS_<B>_<S>="B:S,B:S"`: the sensors of the listed sections count for B/S too."""
    aliases: dict[SectionRef, tuple[SectionRef, ...]] = {}
    for name, raw in environment.items():
        if not name.startswith("SENSOR_ALIAS_"):
            continue
        match = _ALIAS_VARIABLE.match(name)
        if not match:
            raise ConfigError(name, "the name must be SENSOR_ALIAS_<building>_<section>, e.g. SENSOR_ALIAS_10_2")
        sources: list[SectionRef] = []
        for entry in filter(None, _MAP_SEPARATORS.split(raw.strip())):
            source = re.fullmatch(r"(\d+):(\d+)", entry)
            if not source:
                raise ConfigError(name, f"entry {entry!r} must look like building:section, e.g. 11:1")
            sources.append((int(source.group(1)), int(source.group(2))))
        aliases[(int(match.group(1)), int(match.group(2)))] = tuple(sources)
    return aliases


def parse_yasno_buildings(environment: Mapping[str, str]) -> dict[int, dict[int, tuple[str, tuple[str, ...]]]]:
    """The seed's address look-up of schedule groups: `YASNO_BUILDING_<id>_STREET_QUERY` and
    `YASNO_BUILDING_<id>_HOUSE_QUERIES[_SEC_<n>]` ("|"-separated variants) ->
    {building: {section (0 = all): (street query, house queries)}}."""
    streets: dict[int, str] = {}
    houses: dict[tuple[int, int], tuple[str, ...]] = {}
    for name, raw in environment.items():
        if not name.startswith("YASNO_BUILDING_"):
            continue
        match = _YASNO_VARIABLE.match(name)
        if not match or (match[2] == "STREET_QUERY" and match[3]):
            raise ConfigError(
                name, "the name must be YASNO_BUILDING_<id>_STREET_QUERY or YASNO_BUILDING_<id>_HOUSE_QUERIES[_SEC_<n>]"
            )
        building, section = int(match[1]), int(match[3] or 0)
        if match[2] == "STREET_QUERY":
            if not raw.strip():
                raise ConfigError(name, "must not be empty")
            streets[building] = raw.strip()
        else:
            variants = tuple(filter(None, (variant.strip() for variant in raw.split("|"))))
            if not variants:
                raise ConfigError(name, "must list at least one house number (variants separated by |)")
            houses[(building, section)] = variants
    for building, _section in houses:
        if building not in streets:
            raise ConfigError(f"YASNO_BUILDING_{building}_STREET_QUERY", "is needed with its HOUSE_QUERIES")
    lookups: dict[int, dict[int, tuple[str, tuple[str, ...]]]] = {}
    for (building, section), variants in sorted(houses.items()):
        lookups.setdefault(building, {})[section] = (streets[building], variants)
    for building in streets:
        if building not in lookups:
            raise ConfigError(f"YASNO_BUILDING_{building}_HOUSE_QUERIES", "is needed with its STREET_QUERY")
    return lookups
