"""Database helpers the apps share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection


def with_fresh_connection(function: Callable[..., Any], *args: Any) -> Any:
    """Call `function` as Django calls a view: connections the database closed, or that
    outlived CONN_MAX_AGE, are dropped before and after, so a process that runs for weeks
    never works on a dead one."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def no_wait_for_disk() -> str:
    """A condition to AND into a single statement run outside a transaction, so that its
    commit does not wait for the disk (PostgreSQL; nothing elsewhere): for writes a crash
    may lose because they are sent again, like a heartbeat. A local setting in a statement
    of its own lasts for that statement alone: every other write still waits."""
    if connection.vendor != "postgresql":
        return ""
    return " AND set_config('synchronous_commit', 'off', true) = 'off'"
