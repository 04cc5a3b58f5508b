"""Queueing a task once the transaction that called for it commits, without waiting on a
broker that is down.

Callers are heartbeats, detector ticks and admin pages: each has a sweep behind it (beat's
announce_missed and sender) that queues what could not be queued now. A publish is tried
with Celery's retries (a fraction of a second in all, so a broker's blip loses nothing), and
after one fails the next ones in this process are not tried for a few seconds: a tick
recording fifty section changes during a Redis outage waits for one failed publish, not fifty.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

# After a failed publish, later ones are skipped this long (the sweeps run every 5 to 30 s).
QUIET_AFTER_FAILURE_SEC = 10.0

_lock = threading.Lock()
_skip_until = 0.0  # time.monotonic() before which publishes are not tried


def forget_failure() -> None:
    """Try the next publish whatever happened before (the broker is known to be back)."""
    global _skip_until
    with _lock:
        _skip_until = 0.0


def after_commit(task: Task[Any, Any], *args: Any) -> None:
    """Queue `task` with `args` when the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _publish(task, args))


def _publish(task: Task[Any, Any], args: tuple[Any, ...]) -> None:
    global _skip_until
    if time.monotonic() < _skip_until:
        return  # the broker failed moments ago: the sweep queues this one
    try:
        task.apply_async(args)
    except Exception as exc:  # whatever the transport raises: what was committed stands, the sweep queues it
        with _lock:
            _skip_until = time.monotonic() + QUIET_AFTER_FAILURE_SEC
        logger.warning("broker unavailable (%s): %s left to the sweep", type(exc).__name__, task.name)
