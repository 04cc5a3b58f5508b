"""Backups of the configured database, and restores from them.

SQLite: SQLite's online backup API, a consistent copy while the service keeps writing,
checked with `PRAGMA integrity_check`. PostgreSQL: `pg_dump --format=custom`, restored
with `pg_restore --clean --single-transaction`. A backup is written to a temporary
name and renamed when complete, so a failed run never leaves a file that looks whole.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from django.db import connection, connections

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
PAGES_PER_STEP = 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    pass


def suffix() -> str:
    return ".sqlite3" if connection.vendor == "sqlite" else ".pgdump"


def backup(target: Path, progress: Progress) -> int:
    """Write a backup of the configured database to `target`; returns its size in bytes."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name, nothing is overwritten")
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            _sqlite_copy(Path(connection.settings_dict["NAME"]), partial, progress)
            _check_sqlite(partial)
        else:
            _run_pg("pg_dump", ["--format=custom", "--no-owner", "--verbose", f"--file={partial}"], progress)
        partial.rename(target)
        return target.stat().st_size
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def restore(source: Path, progress: Progress) -> None:
    """Replace the configured database's contents with the backup in `source`."""
    try:
        with source.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    kind = "sqlite" if header == SQLITE_HEADER else "postgresql" if header.startswith(PG_DUMP_HEADER) else None
    if kind is None:
        raise BackupError(f"{source} is not a PowerBot backup (neither a SQLite database nor a pg_dump file)")
    if kind != connection.vendor:
        raise BackupError(
            f"{source} is a {kind} backup, but DATABASE_URL points to {connection.vendor}: "
            "restore it into a database of the same kind"
        )
    connections.close_all()  # nothing of ours holds the database while it is replaced
    if kind == "sqlite":
        _check_sqlite(source)
        _sqlite_copy(source, Path(connection.settings_dict["NAME"]), progress)
    else:
        _run_pg(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--verbose",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(source),
            ],
            progress,
        )


def _sqlite_copy(source: Path, target: Path, progress: Progress) -> None:
    def report(status: int, remaining: int, total: int) -> None:
        progress(f"copied {total - remaining} of {total} pages ({100 * (total - remaining) // max(total, 1)}%)")

    try:
        # The source is opened read-only: a restore must not create or change a backup file.
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst, pages=PAGES_PER_STEP, progress=report)
    except sqlite3.Error as exc:  # an unopenable or unwritable file included
        raise BackupError(f"SQLite could not copy {source} to {target}: {exc}") from None


def _check_sqlite(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")
    if "django_migrations" not in tables:
        raise BackupError(f"{path} is a SQLite database, but not a PowerBot one")


def _run_pg(program: str, arguments: list[str], progress: Progress) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed: install the PostgreSQL client "
            "(apt-get install postgresql-client), of the server's major version or newer"
        )
    settings = connection.settings_dict
    # The password goes in the environment, never on the command line where `ps` shows it.
    env = {
        **os.environ,
        "PGDATABASE": settings["NAME"],
        "PGHOST": settings.get("HOST") or "",
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": settings.get("USER") or "",
        "PGPASSWORD": settings.get("PASSWORD") or "",
    }
    with subprocess.Popen(
        [executable, *arguments],
        env={k: v for k, v in env.items() if v},
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:
        tail: list[str] = []
        for line in process.stderr or ():
            progress(line.rstrip())
            tail = [*tail[-4:], line.rstrip()]
    if process.returncode != 0:
        raise BackupError(f"{program} failed (exit {process.returncode}): {' / '.join(tail)}")
