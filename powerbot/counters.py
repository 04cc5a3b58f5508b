"""Counts of events (heartbeats, deliveries, 429s) that every process adds to.

`count()` only adds to this process's tally; `flush()` moves the tally into the
database with `value = value + n`, at most every METRICS_FLUSH_SEC: at the end of a
request or a task, and when the process exits. A process killed outright loses its
last few seconds of counts, which a monitoring graph survives; an idle web process
holds its last counts until its next request.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter as Tally

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from powerbot.models import Counter

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_tally: Tally[tuple[str, str]] = Tally()
_last_flush = time.monotonic()


def count(name: str, label: str = "", n: int = 1) -> None:
    with _lock:
        _tally[(name, label)] += n


def flush(*, force: bool = False) -> None:
    """Write this process's tally to the database, if it is due (or `force`)."""
    global _tally, _last_flush
    with _lock:
        if not _tally or (not force and time.monotonic() - _last_flush < settings.METRICS_FLUSH_SEC):
            return
        batch, _tally, _last_flush = _tally, Tally(), time.monotonic()
    try:
        with transaction.atomic():
            for (name, label), n in sorted(batch.items()):  # one order everywhere: no deadlocks
                _add(name, label, n)
    except DatabaseError:
        logger.warning("could not write %d counters; keeping them for the next flush", len(batch), exc_info=True)
        with _lock:
            _tally.update(batch)


def _add(name: str, label: str, n: int) -> None:
    if Counter.objects.filter(name=name, label=label).update(value=F("value") + n):
        return
    try:
        with transaction.atomic():
            Counter.objects.create(name=name, label=label, value=n)
    except IntegrityError:  # another process created it first
        Counter.objects.filter(name=name, label=label).update(value=F("value") + n)


def totals(name: str) -> dict[str, int]:
    """The flushed values of one counter, by label."""
    return dict(Counter.objects.filter(name=name).values_list("label", "value"))


def _flush_if_due(**_: object) -> None:
    flush()


def _flush_now(**_: object) -> None:
    flush(force=True)


def connect() -> None:
    """Flush after requests and tasks, and at exit (called once, from the app's ready())."""
    from celery.signals import task_postrun, worker_process_shutdown

    request_finished.connect(_flush_if_due, dispatch_uid="powerbot.counters")
    task_postrun.connect(_flush_if_due, dispatch_uid="powerbot.counters", weak=False)
    worker_process_shutdown.connect(_flush_now, dispatch_uid="powerbot.counters", weak=False)
    atexit.register(flush, force=True)
