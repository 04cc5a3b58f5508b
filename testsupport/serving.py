"""Servers the tests start as processes: wait until one answers its health check, and gunicorn
serving the project on a free port with its log in a file.

    with gunicorn(env, log_path, "powerbot.wsgi", "--workers", "2") as served:
        ...  # served.port answers; served.log() is what gunicorn wrote so far
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_for_health(port: int, alive: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    """Until http://127.0.0.1:port/api/v1/health answers; fails with `why()` if the server
    stops (`alive()` false) or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if not alive() or time.monotonic() > deadline:
            raise AssertionError(f"nothing answered on port {port}:\n{why()[-3000:]}")
        time.sleep(0.1)


@dataclass(frozen=True)
class Served:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path, *options: str) -> Iterator[Served]:
    """gunicorn with `options` on a free port of 127.0.0.1, until it answers; stopped on leaving.
    Its log goes to a file: a pipe nobody reads would fill and stall it."""
    from conftest import free_port

    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    served = Served(port, process, log_path)
    try:
        wait_for_health(port, lambda: process.poll() is None, 30, served.log)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=15)
