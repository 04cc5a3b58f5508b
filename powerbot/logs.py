"""Logging for every PowerBot process: plain lines or JSON, and never a secret.

Web (gunicorn, through `powerbot/gunicorn.conf.py`), the Celery workers and the bot all
use `logging_config`, so `LOG_FORMAT=json` turns every line of every process into one
JSON object. Important events are logged with `log_event`: a stable event name and
fields, readable as `key=value` in plain lines and as JSON keys in JSON lines.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# Settings (or, before Django is set up, environment variables) whose values never appear in a log line.
SECRET_SETTINGS = ("TELEGRAM_BOT_TOKEN", "SENSOR_API_KEY", "SENSOR_PUBLIC_API_KEY", "METRICS_KEY", "SECRET_KEY")
# A Bot API URL carries the token in its path: /bot123456:ABC-def/sendMessage.
_BOT_TOKEN_IN_URL = re.compile(r"/bot\d+:[\w-]+")
REDACTED = "[redacted]"
PLAIN_FORMAT = "%(asctime)sZ %(levelname)s %(name)s %(message)s"


def _secrets() -> list[str]:
    from django.conf import settings

    if settings.configured:
        values = [str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS]
        values.append(str(settings.DATABASES.get("default", {}).get("PASSWORD") or ""))
    else:
        values = [os.environ.get(name, "") for name in SECRET_SETTINGS]
    # Very short values would blank out ordinary words; no real key is that short.
    return [value for value in values if len(value) >= 6]


def redact(text: str) -> str:
    text = _BOT_TOKEN_IN_URL.sub(f"/bot{REDACTED}", text)
    for secret in _secrets():
        # As written, and as a JSON line writes it (quotes, backslashes and non-ASCII escaped).
        text = text.replace(secret, REDACTED).replace(json.dumps(secret)[1:-1], REDACTED)
    return text


class PlainFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)  # every process in UTC: Django sets TZ in some of them, not in others

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JSONFormatter(JsonFormatter):
    """One JSON object a line: time (UTC), level, logger, message, and the event's fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601 in UTC
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configured_format_and_level() -> tuple[str, str]:
    """LOG_FORMAT (plain or json) and LOG_LEVEL, parsed strictly."""
    from powerbot import config

    log_format = config.get_choice("LOG_FORMAT", "plain", ("plain", "json"))
    level = config.get_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
    return log_format, level.upper()


HEARTBEAT_PATH = "/api/v1/heartbeat"


class SuccessfulHeartbeats(logging.Filter):
    """Leaves accepted heartbeats out of gunicorn's access log: at fleet scale they are nearly
    every line. Rejected ones (401, 400, 404, 413, ...) and every other request stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, dict) else {}  # gunicorn's access-log atoms
        return not (str(atoms.get("U", "")).rstrip("/") == HEARTBEAT_PATH and str(atoms.get("s", "")).startswith("2"))


class NotRateLimited(logging.Filter):
    """Leaves 429s out of Django's request log, which has a line for every 4xx: a client over
    its rate would write one a request. Each limit logs its offenders once a minute instead
    (powerbot.throttling)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 429


def logging_config(log_format: str, level: str, *, skip_heartbeats: bool = False) -> dict[str, Any]:
    """The `LOGGING` dict for Django, and gunicorn's `logconfig_dict` (which may leave
    successful heartbeats out of the access log)."""
    formatter = {"()": JSONFormatter} if log_format == "json" else {"()": PlainFormatter, "format": PLAIN_FORMAT}
    access: dict[str, Any] = {"level": "INFO", "handlers": [], "propagate": True}
    if skip_heartbeats:
        access["filters"] = ["successful_heartbeats"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "successful_heartbeats": {"()": SuccessfulHeartbeats},
            "not_rate_limited": {"()": NotRateLimited},
        },
        "formatters": {"powerbot": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "powerbot"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # httpx logs each request's URL at INFO, and a Bot API URL holds the bot's token.
            "httpx": {"level": "WARNING"},
            # A line for every task received and done, every few seconds, buries the events;
            # the tasks log what they did when they did something.
            "celery.worker.strategy": {"level": "WARNING"},
            "celery.app.trace": {"level": "WARNING"},
            "celery.beat": {"level": "WARNING"},
            "django.request": {"filters": ["not_rate_limited"]},
            # gunicorn's own loggers, when gunicorn takes this dict: through our handler only.
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": access,
        },
    }


# A LogRecord's own attributes: an event field of the same name would clash with them.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """One line for an important event: `event key=value ...`, the fields as JSON keys too."""
    text = " ".join(f"{key}={_plain(value)}" for key, value in fields.items())
    extra = {f"{key}_" if key in _RECORD_ATTRIBUTES else key: value for key, value in fields.items()}
    logger.log(level, "%s %s", event, text, extra={"event": event, **extra})


def _plain(value: Any) -> str:
    text = str(value)
    needs_quotes = not text or any(char.isspace() or char in '"=' for char in text)
    return json.dumps(text, ensure_ascii=False) if needs_quotes else text
