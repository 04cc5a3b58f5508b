"""Pointing a Celery app at another broker, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

from celery import Celery


def use_broker(app: Celery[Any], url: str) -> None:
    """Point `app`, configured from Django's settings, at the broker `url`. Celery 5.6 reads the
    namespaced name (CELERY_BROKER_URL) before broker_url, so both are set; the connections it
    pooled to the broker before are dropped, as a forked worker does (private to Celery)."""
    app.conf.update(CELERY_BROKER_URL=url, broker_url=url)
    app._after_fork()  # type: ignore[attr-defined]
