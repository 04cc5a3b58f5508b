"""`make run` as a person runs it: in a copy of the project, in a terminal of its own, stopped with Ctrl-C.

    project = copy_project(tmp_path)
    with make_run(project, env, port, tmp_path / "make-run.log") as running:
        ...  # the app answers on `port`; running.processes() lists what it started
    # every process is gone again, or the block failed saying which were left

`runtime_virtualenv()` builds (once per requirements.txt) the virtualenv a production image
has: requirements.txt alone, installed by the Makefile's own recipe.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testsupport.fake_open_meteo import NO_WEATHER
from testsupport.serving import wait_for_health

BASE_DIR = Path(__file__).resolve().parent.parent
LEFT_OUT = shutil.ignore_patterns(
    ".venv", "var", ".git", ".env", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache"
)
# What a finished install can import (a folder without its __init__.py would still import).
USABLE = (
    "from django import setup; from celery import Celery; from telegram.ext import Application; "
    "import kombu.transport.redis"
)
# A fresh virtualenv and pip install may come first.
START_TIMEOUT_SEC = 420


def copy_project(folder: Path) -> Path:
    """The project's files as a fresh clone has them (no virtualenv, no var/, no .env)."""
    project = folder / "powerbot"
    shutil.copytree(BASE_DIR, project, ignore=LEFT_OUT)
    return project


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any PowerBot setting or virtualenv of the shell's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SENSOR_", "TELEGRAM_", "DATABASE_", "REDIS_", "VIRTUAL_ENV", "DJANGO_"))
    }
    return env | {"WEATHER_API_URL": NO_WEATHER} | settings


def runtime_virtualenv() -> Path:
    """A virtualenv with requirements.txt alone, as the Docker image's build stage makes it,
    kept in var/runtime-venv/<hash of requirements.txt and Python> until either changes."""
    digest = hashlib.sha256((BASE_DIR / "requirements.txt").read_bytes() + sys.version.encode()).hexdigest()[:16]
    cache = BASE_DIR / "var" / "runtime-venv"
    venv = cache / digest
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others wait, then use it
        if not (venv / ".installed").exists() or not _usable(venv):
            shutil.rmtree(venv, ignore_errors=True)  # a build that was cut short
            _build(venv, lock.fileno())
        for stale in cache.iterdir():
            if stale.is_dir() and stale != venv:
                shutil.rmtree(stale, ignore_errors=True)
    return venv


def _build(venv: Path, lock: int) -> None:
    """The Makefile's install of requirements.txt into `venv`. make and pip hold the lock too,
    so if this process dies they are waited for, not raced, and a failure stops them all."""
    make = subprocess.Popen(
        ["make", f"VENV={venv}", f"PYTHON={base_python()}", f"{venv}/.installed"],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        pass_fds=(lock,),
        start_new_session=True,
    )
    try:
        output, _ = make.communicate(timeout=START_TIMEOUT_SEC)
    except BaseException:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()
        shutil.rmtree(venv, ignore_errors=True)
        raise
    if make.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise RuntimeError(f"installing requirements.txt failed:\n{output}")


def _usable(venv: Path) -> bool:
    """A finished install whose packages import (a copy half-deleted by hand is rebuilt)."""
    check = subprocess.run([venv / "bin" / "python", "-c", USABLE], capture_output=True, timeout=60)
    return check.returncode == 0


def base_python() -> str:
    """The interpreter this virtualenv was made from (a virtualenv is made from a real Python)."""
    return getattr(sys, "_base_executable", sys.executable)


def processes_marked(marker: str) -> list[int]:
    """Every live process whose environment carries `marker` (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if f"POWERBOT_RUN_MARKER={marker}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class Running:
    log: Path
    marker: str

    def output(self) -> str:
        return self.log.read_text()

    def processes(self) -> list[int]:
        return processes_marked(self.marker)


@contextmanager
def make_run(project: Path, env: dict[str, str], port: int, log: Path, *make_args: str) -> Iterator[Running]:
    """`make run` in `project` until /api/v1/health answers; Ctrl-C on leaving, and then
    nothing it started may be left running nor the port answering."""
    running = Running(log, uuid.uuid4().hex)
    with log.open("w") as output:
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}", *make_args],
            cwd=project,
            env=env | {"POWERBOT_RUN_MARKER": running.marker},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # its own group, as a terminal's job
    health = f"http://127.0.0.1:{port}/api/v1/health"
    try:
        wait_for_health(port, lambda: make.poll() is None, START_TIMEOUT_SEC, running.output)
        yield running
    except BaseException as failure:
        if make.poll() is not None:  # the likely cause: say so first, with what it printed
            raise AssertionError(
                f"make run stopped (exit {make.returncode}); its last lines:\n{running.output()[-5000:]}"
            ) from failure
        failure.add_note(f"make run's output, last lines:\n{running.output()[-5000:]}")
        raise
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        make.wait(timeout=60)
    deadline = time.monotonic() + 15
    while running.processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running.processes() == [], running.output()[-3000:]
    try:
        urllib.request.urlopen(health, timeout=2)
    except OSError:
        pass
    else:
        raise AssertionError(f"something still answers on port {port} after Ctrl-C")
