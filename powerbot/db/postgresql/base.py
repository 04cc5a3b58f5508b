"""Django's PostgreSQL backend with a health check that costs no round trip.

Django checks a reused connection before each request's first query with `SELECT 1`: for
a heartbeat, whose own work is one SELECT and one UPDATE, that is a third round trip and
about a fifth of the request (docs/PERFORMANCE.md). An idle connection has nothing to
read, so data waiting on its socket means the server has ended it (a restart, a failover,
`pg_terminate_backend`) or has told it something only a new connection should hear: look
at the socket instead, and reconnect when it is not quiet.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base

IDLE = psycopg.pq.TransactionStatus.IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.pool
            or self.connection is None
            or not self.health_check_enabled  # type: ignore[attr-defined]  # Django's, not in its stubs
            or self.health_check_done  # type: ignore[has-type]  # the same
            or self.connection.info.transaction_status != IDLE
        ):
            # Nothing to check, or a connection inside a transaction: Django's own way.
            super().close_if_health_check_failed()
            return
        if not self._quiet():
            self.close()
        self.health_check_done = True

    def _quiet(self) -> bool:
        try:
            poller = select.poll()  # not select(): a process may hold more than 1,024 files
            poller.register(self.connection.fileno(), select.POLLIN)
            return not poller.poll(0)
        except (psycopg.Error, OSError, ValueError):
            return False
