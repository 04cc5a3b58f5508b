"""Database helpers the apps share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import QuerySet

R = TypeVar("R")


def with_fresh_connection(function: Callable[..., R], *args: Any) -> R:
    """Call `function` as Django calls a view: connections the database closed, or that
    outlived CONN_MAX_AGE, are dropped before and after, so a process that runs for weeks
    never works on a dead one."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def once_more_if_dropped(function: Callable[..., R], *args: Any) -> R:
    """Call `function`, and once more on a new connection if the database had dropped this
    one (a restart, a failover: it is found out only by using it). For idempotent writes
    that must happen even then, such as releasing a lease."""
    try:
        return function(*args)
    except (OperationalError, InterfaceError):
        connection.close()
        return function(*args)


async def in_database(function: Callable[..., R], *args: Any) -> R:
    """Run `function` from async code in the one database thread (Django's ORM is synchronous),
    on a connection that is checked first: after the database dropped it (a restart, a
    failover), the next call opens a new one instead of failing for the rest of the process."""
    return await sync_to_async(with_fresh_connection)(function, *args)


def delete_in_batches(rows: QuerySet[Any], batch_size: int) -> int:
    """Delete `rows` a batch at a time, each its own short statement, so writers never wait
    long behind a large pruning; how many were deleted."""
    deleted = 0
    while batch := list(rows.values_list("pk", flat=True)[:batch_size]):
        deleted += rows.filter(pk__in=batch).delete()[0]  # still matching: one changed meanwhile stays
    return deleted


@contextmanager
def committed_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, a transaction whose commit does not wait for the disk; elsewhere the
    writes run as they would. For writes a crash may lose, made by statements we do not write
    ourselves (a cache's), so no_wait_for_disk() cannot join them."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def no_wait_for_disk() -> str:
    """A condition to AND into a single statement run outside a transaction, so that its
    commit does not wait for the disk (PostgreSQL; nothing elsewhere): for writes a crash
    may lose because they are sent again, like a heartbeat. A local setting in a statement
    of its own lasts for that statement alone: every other write still waits."""
    if connection.vendor != "postgresql":
        return ""
    return " AND set_config('synchronous_commit', 'off', true) = 'off'"
