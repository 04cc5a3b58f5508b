"""Fixtures shared by every app's tests, and the rule for the PostgreSQL run.

`make test` runs the suite twice: on SQLite, and on PostgreSQL when DATABASE_URL
points there. A PostgreSQL that cannot be reached skips that run with a message,
unless REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from testsupport.brokers import use_broker
from testsupport.fake_open_meteo import NO_WEATHER

WRITE_KEY = "test-write-key"
READ_KEY = "test-read-key"
BASE_DIR = Path(__file__).resolve().parent
# The tests' release signing key (FIRMWARE_SIGNING_KEY), made at the first run and kept in var/.
RELEASE_KEY = BASE_DIR / "var" / "test-release-key.pem"


def pytest_configure(config: pytest.Config) -> None:
    if connection.vendor != "postgresql":
        return
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    try:
        psycopg.connect(**{**params, "dbname": "postgres", "connect_timeout": 3}).close()
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL at {params.get('host')}:{params.get('port')} is not reachable ({exc}).\n"
            "Install and start PostgreSQL (e.g. `apt-get install postgresql`) or set TEST_POSTGRES_URL; "
            "the SQLite run covers everything else."
        )
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.exit(f"REQUIRE_SERVICES=1: {message}", returncode=1)
        pytest.exit(f"Skipping the PostgreSQL run. {message}", returncode=0)


def require_service(name: str, reachable: bool, how_to_get_it: str) -> None:
    """Skip a test whose server is missing, saying what to install; fail under REQUIRE_SERVICES=1."""
    if reachable:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is not reachable and REQUIRE_SERVICES=1")
    pytest.skip(f"{name} is not reachable: {how_to_get_it}")


@pytest.fixture
def redis_url() -> str:
    """A real Redis database of its own (TEST_REDIS_URL, default db 15 on 127.0.0.1), emptied."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
        reachable = True
    except redis.ConnectionError:
        reachable = False
    require_service("Redis", reachable, "install and start Redis (apt-get install redis-server) or set TEST_REDIS_URL")
    return url


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SQLite tests use a file, as production does: WAL and write locks behave for real
    (an in-memory database shares one cache and locks differently)."""
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _counters_end_in_the_test_database(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Counts the tests made are flushed before the test database goes, not at exit into
    whatever database the settings name then."""
    yield
    from powerbot import counters

    with django_db_blocker.unblock():
        counters.flush(force=True)


@pytest.fixture(scope="session", autouse=True)
def _release_key() -> None:
    """The tests' release signing key, made once (a run beside this one may have made it)."""
    from firmware import signing

    RELEASE_KEY.parent.mkdir(parents=True, exist_ok=True)
    if not RELEASE_KEY.exists():
        with contextlib.suppress(signing.SigningKeyError):
            signing.create_key(RELEASE_KEY)


@pytest.fixture(autouse=True)
def _isolated_settings(settings) -> None:
    """Every test starts from the documented defaults, whatever the shell or .env says."""
    settings.SENSOR_API_KEY = WRITE_KEY
    settings.SENSOR_PUBLIC_API_KEY = READ_KEY
    settings.SENSOR_TIMEOUT_SEC = 150
    settings.SENSOR_UUID_BUILDING_MAP = {}
    settings.SENSOR_SECTION_ALIASES = {}
    settings.TRUST_X_FORWARDED_FOR = False
    settings.HEARTBEAT_MAX_BODY_BYTES = 4096
    settings.PUBLIC_API_CACHE_SEC = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    settings.STATIC_ROOT = None  # tests serve static files from the apps, no collectstatic
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TELEGRAM_BOT_TOKEN = ""  # no delivery unless a test brings the fake Telegram
    settings.TELEGRAM_RATE_PER_SEC = 25
    settings.POWER_ON_CONFIRM_SEC = 0
    settings.YASNO_ENABLED = False
    settings.YASNO_BUILDINGS = {}
    settings.SCHEDULE_POLL_SEC = 600
    settings.ALERTS_IN_UA_API_KEY = settings.ALERTS_API_KEY = ""
    settings.ALERTS_DEMO = False
    settings.ALERTS_CITY_UID_ALERTS_IN_UA = settings.ALERTS_CITY_ID_UKRAINEALARM = "31"
    settings.ALERTS_POLL_SEC, settings.ALERTS_FRESH_SEC = 15, 120
    settings.ALERTS_IN_UA_PER_MINUTE, settings.ALERTS_UKRAINEALARM_PER_MINUTE = 8, 20
    settings.WEATHER_API_URL = NO_WEATHER
    settings.WEATHER_LAT, settings.WEATHER_LON = 50.45, 30.52
    settings.WEATHER_POLL_SEC, settings.WEATHER_PER_MINUTE, settings.WEATHER_DEMO = 900, 60, False
    settings.NEIGHBOUR_REPORT_HOURS = 6
    settings.MQTT_URL = None
    settings.OPERATOR_SILENT_SENSOR_HOURS = 6
    settings.MQTT_SHARE_GROUP = "powerbot"
    settings.MQTT_WILL_SETTLE_SEC = 15
    settings.READ_API_RATE, settings.HEARTBEAT_RATE = "600/min", "120/min"
    settings.BAD_KEY_RATE, settings.FIRMWARE_DOWNLOAD_RATE = "30/min", "6/hour"
    settings.FIRMWARE_SIGNING_KEY = RELEASE_KEY


_rate_limit_versions = itertools.count(1)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """What a process reuses is keyed by database rows, and each test's rows start afresh.
    Each test counts its rate limits afresh too: under a version of its own, at no query
    (the database's cache table is not emptied between tests that commit)."""
    from django.core.cache import cache, caches

    from powerbot import throttling
    from sensors import heartbeat

    cache.clear()
    heartbeat._remembered.clear()  # checked by every write, but a stale entry costs a query
    caches[throttling.CACHE].version = next(_rate_limit_versions)
    throttling.RateLimit._unreachable_until = 0.0


@pytest.fixture
def rate_limits_in_memory(settings) -> None:
    """The rate limits still checked, but counted in this process's memory instead of the
    database: for tests that count a request's own queries (the limits' are bench/limits.py's)."""
    settings.CACHES = {**settings.CACHES, "rate_limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _tasks_run_inline() -> None:
    """Tasks queued by the code under test run at once, in the test, through the real task
    code. The brokers and a real worker are tested in powerbot/tests/test_background.py
    (whose worker makes its own app current: the project's is made current again here)."""
    from powerbot.celery import app

    app.set_current()
    app.conf.task_always_eager = True


def scalar(row: tuple[Any, ...] | None) -> Any:
    """The one value of the one row a test's own query returns."""
    assert row is not None, "the query returned no row"
    return row[0]


@contextmanager
def publishing_to(broker: str, *, retry: bool = True) -> Iterator[None]:
    """The project's Celery app publishing, for real, to `broker` instead of running tasks inline."""
    from powerbot import queueing
    from powerbot.celery import app

    saved = app.conf.broker_url, app.conf.task_publish_retry
    use_broker(app, broker)
    app.conf.update(task_always_eager=False, task_publish_retry=retry)
    try:
        yield
    finally:
        app.conf.update(task_publish_retry=saved[1])
        use_broker(app, saved[0])
        queueing.forget_failure()  # a failure to reach that broker says nothing of the next test's


@pytest.fixture
def broker_down() -> Iterator[None]:
    """The project's Celery app publishing, for real, to a broker it cannot open."""
    with publishing_to("sqla+sqlite:////nonexistent/broker.sqlite3", retry=False):
        yield


@dataclass
class OwnRedis:
    """A Redis server of a test's own, on a free port, that the test may stop and start
    again (empty, as a restart without persistence leaves it)."""

    folder: Path
    port: int = field(default_factory=lambda: free_port())
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import time

        import redis

        binary = shutil.which("redis-server") or ""
        require_service("redis-server", bool(binary), "install Redis (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mosquitto() -> str:
    """The real Mosquitto on loopback (TEST_MQTT_URL, default mqtt://127.0.0.1:1883)."""
    from urllib.parse import urlsplit

    from testsupport.mqtt import reachable

    url = os.environ.get("TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    parts = urlsplit(url)
    require_service(
        "Mosquitto",
        reachable(parts.hostname or "127.0.0.1", parts.port or 1883),
        "install and start Mosquitto (apt-get install mosquitto) or set TEST_MQTT_URL",
    )
    return url


@pytest.fixture
def own_mosquitto(tmp_path) -> Iterator[Any]:
    """A Mosquitto of the test's own (testsupport.mqtt.OwnMosquitto), which it may restart."""
    from testsupport.mqtt import OwnMosquitto

    require_service("mosquitto", OwnMosquitto.binary() is not None, "install Mosquitto (apt-get install mosquitto)")
    broker = OwnMosquitto(tmp_path, free_port())
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def runmqtt(test_database_url, tmp_path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `manage.py runmqtt` processes on this test's database, subscribing at `url` in a
    share group of the test's own; settings as keywords. Stopped by SIGTERM at the end."""
    import secrets

    started: list[subprocess.Popen[bytes]] = []
    group = f"test-{secrets.token_hex(4)}"

    def start(url: str, **settings: str) -> subprocess.Popen[bytes]:
        env = project_env(test_database_url, MQTT_URL=url, MQTT_SHARE_GROUP=group, METRICS_FLUSH_SEC="0", **settings)
        with open(tmp_path / f"runmqtt-{len(started)}.log", "ab") as log:
            started.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runmqtt"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
                )
            )
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def telegram(settings) -> Iterator[Any]:
    """The fake Telegram Bot API server, with the project pointed at it."""
    from testsupport.fake_telegram import FakeTelegram

    with FakeTelegram() as fake:
        settings.TELEGRAM_API_URL = fake.url
        settings.TELEGRAM_BOT_TOKEN = fake.token
        yield fake


def database_url(params: dict[str, Any]) -> str:
    """A DATABASE_URL for PostgreSQL connection parameters."""
    from urllib.parse import quote

    credentials = quote(params.get("user") or "", safe="")
    if params.get("password"):
        credentials += ":" + quote(params["password"], safe="")
    return (
        f"postgres://{credentials}@{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{params['dbname']}"
    )


def _connection_params() -> dict[str, Any]:
    return {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """The URL of this test's own database, for a subprocess to share its committed rows."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{connection.settings_dict['NAME']}"
    return database_url(_connection_params())


@pytest.fixture
def time_travel(time_machine) -> Callable[..., None]:
    """Freeze the clock now; call with timedelta keywords to move it forward."""
    from datetime import UTC, datetime, timedelta

    time_machine.move_to(datetime.now(UTC), tick=False)

    def shift(**delta: float) -> None:
        time_machine.shift(timedelta(**delta))

    return shift


@pytest.fixture
def make_building(db) -> Callable[..., Any]:
    from buildings.models import Building

    def make(id: int = 10, name: str = "London", sections: int = 3, default: int = 1, **fields: Any) -> Building:
        return Building.objects.create(id=id, name=name, section_count=sections, default_section=default, **fields)

    return make


@pytest.fixture
def make_sensor(db, settings) -> Callable[..., Any]:
    from django.utils import timezone

    from buildings.models import Section
    from sensors.models import Sensor

    def make(uuid: str, building: int = 10, section: int = 1, **fields: Any) -> Sensor:
        """A sensor as heartbeats would have left it: online until last_heartbeat + timeout."""
        if fields.get("last_heartbeat") is not None:
            fields.setdefault(
                "offline_after", fields["last_heartbeat"] + timedelta(seconds=settings.SENSOR_TIMEOUT_SEC)
            )
            fields.setdefault("online", fields["offline_after"] > timezone.now())
        return Sensor.objects.create(
            uuid=uuid, section=Section.objects.get(building_id=building, number=section), **fields
        )

    return make


@pytest.fixture
def make_release(db) -> Callable[..., Any]:
    """A firmware release published as an upload would be, of an image naming its board and version."""
    from buildings.models import Building
    from firmware import services
    from firmware.models import FirmwareRelease
    from firmware.tests.images import esp32_image

    def make(
        version: str, board: str = "wt32-eth01", *, buildings: tuple[Building, ...] = (), **fields: Any
    ) -> FirmwareRelease:
        upload = services.check_upload(board, "", esp32_image(named=(board, version)))
        return services.publish(FirmwareRelease(**fields), upload, buildings=buildings)

    return make


@pytest.fixture
def post_heartbeat(client: Client) -> Callable[..., Any]:
    """Post a heartbeat as firmware does: JSON body, key in the body unless given."""

    def post(
        payload: Any = None, *, raw: bytes | None = None, content_type: str = "application/json", **meta: Any
    ) -> Any:
        if raw is None:
            body = {"api_key": WRITE_KEY, **payload} if isinstance(payload, dict) else payload
            raw = json.dumps(body).encode()
        return client.generic("POST", reverse("heartbeat"), raw, content_type=content_type, **meta)

    return post


@pytest.fixture
def beat(post_heartbeat) -> Callable[..., Any]:
    """A firmware heartbeat of sensor `uuid` from a building's section; must be accepted."""

    def send(uuid: str = "a", building: int = 10, section: int = 1):
        response = post_heartbeat({"building_id": building, "section_id": section, "sensor_uuid": uuid})
        assert response.status_code == 200, response.content
        return response

    return send


@pytest.fixture
def elapse(time_travel) -> Callable[[int], None]:
    """Let time pass as in production: the offline detector ticks every 10 seconds."""
    from sensors.power import detect_offline

    def run(seconds: int) -> None:
        for _ in range(seconds // 10):
            time_travel(seconds=10)
            detect_offline()
        time_travel(seconds=seconds % 10)
        detect_offline()

    return run


@pytest.fixture
def at_once() -> Callable[[Callable[[], Any], int], None]:
    """Run `work` in `count` threads released together, each on its own connection;
    fails with the threads' exceptions if any raised."""
    import threading

    from django.db import connection

    def run(work: Callable[[], Any], count: int) -> None:
        barrier = threading.Barrier(count)
        failures: list[BaseException] = []

        def thread() -> None:
            try:
                barrier.wait()
                work()
            except BaseException as exc:  # reported below, with the thread's own traceback
                failures.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=thread) for _ in range(count)]
        for started in threads:
            started.start()
        for started in threads:
            started.join()
        assert not failures, failures

    return run


INLINES = ("sections", "shelters", "contacts")  # the building's admin page edits these with it


def building_form(**fields: Any) -> dict[str, Any]:
    """A building's admin change form, as posted: one section, no inline rows; `fields` add
    to it or change it (inline rows come with their TOTAL_FORMS)."""
    return {
        "name": "London",
        "address": "",
        "section_count": "1",
        "default_section": "1",
        **{
            f"{inline}-{count}_FORMS": "0"
            for inline in ("sections", "shelters", "contacts")
            for count in ("TOTAL", "INITIAL")
        },
        **fields,
    }


def project_env(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment for a manage.py or gunicorn of the project on `database_url`,
    with the tests' keys and none of the shell's SENSOR_* settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SENSOR_")}
    return env | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "SENSOR_API_KEY": WRITE_KEY,
        "SENSOR_PUBLIC_API_KEY": READ_KEY,
        "WEATHER_API_URL": NO_WEATHER,  # a test that wants weather brings the fake Open-Meteo
        "FIRMWARE_SIGNING_KEY": str(RELEASE_KEY),
        **extra,
    }


def run_manage(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`manage.py ARGS` in a process of its own, output captured."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class ServedApp:
    port: int
    env: dict[str, str]

    def manage(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_manage(self.env, *args, stdin=stdin)

    def get_json(self, path: str, key: str = READ_KEY) -> Any:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"X-API-Key": key})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def scratch_database_url(name: str, folder: Path) -> str:
    """A new, empty database of the kind this run tests, outside the test transaction: a
    SQLite file in `folder`, or PostgreSQL database `<test database>_<name>` made afresh."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{folder / name}.sqlite3"
    import psycopg

    params = _connection_params()
    full_name = f"{params['dbname']}_{name}"
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{full_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{full_name}"')
    return database_url({**params, "dbname": full_name})


def firmware_post(port: int, payload: dict[str, Any]) -> bytes:
    """A heartbeat as the field firmware sends it (sensors.simulator's bytes); the raw answer."""
    from sensors.simulator import firmware_request

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(firmware_request("127.0.0.1", port, payload))
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="session")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The app under real gunicorn (two workers) on a fresh SQLite file."""
    from testsupport.serving import gunicorn

    folder = tmp_path_factory.mktemp("served")
    env = project_env(scratch_database_url("served", folder), METRICS_FLUSH_SEC="0")
    migrated = run_manage(env, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    with gunicorn(env, folder / "gunicorn.log", "powerbot.wsgi", "--workers", "2") as served:
        yield ServedApp(served.port, env)


@pytest.fixture
def bot_process(telegram, test_database_url) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `manage.py runbot` as a process of its own, on this test's database and the fake
    Telegram (settings as keywords); returns once it has registered its commands."""
    started: list[subprocess.Popen[str]] = []

    def start(**settings: str) -> subprocess.Popen[str]:
        env = project_env(
            test_database_url, TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_URL=telegram.url, **settings
        )
        started.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "runbot"],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
        telegram.wait_for(lambda: len(telegram.calls_to("setMyCommands")) >= 2 * len(started), timeout=60)
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:  # a test may have stopped it itself
            process.terminate()
            process.communicate(timeout=30)


@pytest.fixture
def bot(telegram, transactional_db) -> Iterator[Any]:
    """The real bot (`runbot`'s application) polling the fake Telegram in a thread of its
    own; its database calls commit, so tests see them. Yields the fake Telegram."""
    import asyncio
    import threading

    from telegrambot.application import ALLOWED_UPDATES, build

    application = build()
    updater, post_init, post_shutdown = application.updater, application.post_init, application.post_shutdown
    assert updater is not None and post_init is not None and post_shutdown is not None  # what build() sets up
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> None:
        await application.initialize()
        await post_init(application)
        await application.start()
        await updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)

    async def stop() -> None:
        await updater.stop()
        await application.stop()
        await application.shutdown()
        await post_shutdown(application)

    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=15)
    try:
        yield telegram
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


@pytest.fixture
def yasno(settings) -> Iterator[Any]:
    """The fake Yasno schedule API, with the project pointed at it and a short timeout."""
    from testsupport.fake_yasno import FakeYasno

    with FakeYasno() as fake:
        settings.YASNO_ENABLED = True
        settings.YASNO_API_URL = fake.url
        settings.YASNO_REGION_ID, settings.YASNO_DSO_ID = fake.region, fake.dso
        settings.SCHEDULE_FETCH_TIMEOUT_SEC = 1
        yield fake
    from schedules import yasno as client

    client.CLIENT.wait_for_abandoned(timeout=10)  # a fetch the test gave up on ends with the fake server


def wait_for(condition: Callable[[], Any], seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(condition())


@dataclass(frozen=True)
class Workers:
    """Real Celery workers on a test's database and the fake Telegram."""

    env: dict[str, str]
    folder: Path

    @contextmanager
    def run(self, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
        """A worker (it polls what is configured as it starts) with the settings given as
        keywords; its broker is REDIS_URL when given, else an embedded one of the test's own.
        Killed outright at the end, as a restart that does not wait would."""
        import signal

        broker = settings.get("REDIS_URL") or self.embedded_broker
        with open(self.folder / "worker.log", "ab") as log:  # a file, not a pipe nobody reads that could fill up
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "powerbot",
                    "-b",
                    broker,
                    "worker",
                    "--queues",
                    "celery,telegram",
                    "--concurrency",
                    "2",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=BASE_DIR,
                env=self.env | settings,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGKILL)  # late acks: a task it held is run again, which loses nothing
            process.wait(timeout=30)

    @property
    def embedded_broker(self) -> str:
        return f"sqla+sqlite:///{self.folder / 'broker.sqlite3'}"

    def log(self) -> str:
        return (self.folder / "worker.log").read_text(errors="replace")


@pytest.fixture
def workers(telegram, test_database_url, tmp_path) -> Workers:
    return Workers(
        project_env(
            test_database_url, TELEGRAM_API_URL=telegram.url, TELEGRAM_BOT_TOKEN=telegram.token, LOG_LEVEL="WARNING"
        ),
        tmp_path,
    )


@pytest.fixture
def worker_until(workers: Workers) -> Callable[..., None]:
    """Run a real Celery worker (Workers.run) until `until()` is true."""

    def run(until: Callable[[], Any], **settings: str) -> None:
        with workers.run(**settings) as process:
            assert wait_for(until), f"{'exited' if process.poll() is not None else 'not in time'}: {workers.log()}"

    return run


def subscribe(chat_id: int, *places: tuple[int, int], **fields: Any) -> Any:
    """A subscriber following sections given as (building, number)."""
    from buildings.models import Section
    from notifications.models import Subscriber, Subscription

    subscriber = Subscriber.objects.create(chat_id=chat_id, **fields)
    for building, number in places:
        Subscription.objects.create(
            subscriber=subscriber, section=Section.objects.get(building_id=building, number=number)
        )
    return subscriber


@pytest.fixture
def alert_sources(settings) -> Iterator[tuple[Any, Any]]:
    """Both fake alert services, with the project pointed at them and their keys set."""
    from alerts import clients
    from testsupport.fake_alerts import FakeAlertsInUa, FakeUkrainealarm

    with FakeAlertsInUa() as in_ua, FakeUkrainealarm() as ukrainealarm:
        settings.ALERTS_IN_UA_API_URL, settings.ALERTS_IN_UA_API_KEY = in_ua.url, in_ua.key
        settings.ALERTS_API_URL, settings.ALERTS_API_KEY = ukrainealarm.url, ukrainealarm.key
        settings.ALERTS_FETCH_TIMEOUT_SEC = 1
        yield in_ua, ukrainealarm
    for client in (clients.ALERTS_IN_UA, clients.UKRAINEALARM):
        client.wait_for_abandoned(timeout=10)  # a fetch the test gave up on ends with its fake server


@pytest.fixture
def open_meteo(settings) -> Iterator[Any]:
    """The fake Open-Meteo, with the project pointed at it and a short timeout."""
    from testsupport.fake_open_meteo import FakeOpenMeteo
    from weather import clients

    with FakeOpenMeteo() as fake:
        settings.WEATHER_API_URL = fake.url
        settings.WEATHER_FETCH_TIMEOUT_SEC = 1
        yield fake
    clients.OPEN_METEO.wait_for_abandoned(timeout=10)  # a fetch the test gave up on ends with the fake server


@pytest.fixture
def browser_for() -> Iterator[Callable[..., Any]]:
    """Headless Chromium (the system's, through Selenium): call with a language, and
    javascript=False for a browser without it. Skips, naming the packages, where they are
    missing; fails under REQUIRE_SERVICES=1."""
    from testsupport import browser

    require_service("Chromium", browser.installed(), f"install the browser for the page tests ({browser.PACKAGES})")
    with ExitStack() as opened:

        def open_one(**options: Any) -> Any:
            return opened.enter_context(browser.chromium(**options))

        yield open_one


@pytest.fixture
def admin_browser(live_server, browser_for, admin_user) -> Any:
    """Headless Chromium logged in to the admin of the live test server as a superuser, on the
    admin's first page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = browser_for(language="en")
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(admin_user.get_username())
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "now-sections"))
    return browser


@pytest.fixture
def screenshots() -> Path:
    """Where the browser tests leave their pictures for a person to look at."""
    folder = BASE_DIR / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
