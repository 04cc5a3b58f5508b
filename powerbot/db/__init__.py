"""Database helpers every long-running process (bot, sender) shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import close_old_connections


def with_fresh_connection(function: Callable[..., Any], *args: Any) -> Any:
    """Call `function` as Django calls a view: connections the database closed, or that
    outlived CONN_MAX_AGE, are dropped before and after, so a process that runs for weeks
    never works on a dead one."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()
