"""Pointing a Celery app at another broker, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

from celery import Celery
from django.conf import settings


def use_broker(app: Celery[Any], url: str) -> None:
    """Point `app`, configured from Django's settings, at the broker `url`, with the transport
    options settings.py gives that kind of broker. Celery 5.6 reads the namespaced names
    (CELERY_BROKER_URL) first, so both are set; the connections it pooled to the broker before
    are dropped, as a forked worker does (private to Celery)."""
    options = settings.REDIS_BROKER_OPTIONS if url.startswith("redis") else {}
    app.conf.update(
        CELERY_BROKER_URL=url,
        broker_url=url,
        CELERY_BROKER_TRANSPORT_OPTIONS=options,
        broker_transport_options=options,
    )
    app._after_fork()  # type: ignore[attr-defined]
