"""Rate limits in one process: DRF's throttles on the shared cache, their 429, their metrics
and log lines, and what happens when the cache is gone. The limits held across gunicorn's
workers are in test_rate_limits_served.py; each kind's own rules beside its endpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from conftest import READ_KEY, WRITE_KEY
from powerbot import config, counters, throttling

pytestmark = pytest.mark.django_db

LIST = "/api/v1/public/sensors/status"


@pytest.fixture
def refusals() -> Callable[[], dict[str, int]]:
    """Refusals counted since the test began, by kind (earlier tests' tallies flushed first)."""
    counters.flush(force=True)
    before = counters.totals("rate_limited")

    def since() -> dict[str, int]:
        counters.flush(force=True)
        counted = {kind: n - before.get(kind, 0) for kind, n in counters.totals("rate_limited").items()}
        return {kind: n for kind, n in counted.items() if n}

    return since


def test_a_client_over_its_rate_gets_429_with_retry_after_and_the_usual_error_body(client, settings):
    settings.READ_API_RATE = "2/min"
    assert [client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code for _ in range(2)] == [200, 200]
    refused = client.get(LIST, HTTP_X_API_KEY=READ_KEY)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json() == {
        "status": "error",
        "message": f"Too many requests; try again in {refused['Retry-After']} s",
    }


def test_the_429_speaks_english_whatever_the_client_asks(client, settings):
    settings.READ_API_RATE = "1/min"
    client.get(LIST, HTTP_X_API_KEY=READ_KEY)
    refused = client.get(LIST, HTTP_X_API_KEY=READ_KEY, HTTP_ACCEPT_LANGUAGE="uk")
    assert refused.json()["message"].startswith("Too many requests")


def test_a_wrong_key_is_refused_with_401_then_429_once_its_address_tried_too_often(client, settings, refusals):
    settings.BAD_KEY_RATE = "3/min"
    wrong = [client.get(LIST, HTTP_X_API_KEY="guess").status_code for _ in range(4)]
    assert wrong == [401, 401, 401, 429]
    # Only wrong keys are limited: a board with the right key behind the same address is served.
    assert client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code == 200
    assert client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR="10.0.0.2").status_code == 401
    assert refusals() == {"bad_key": 1}


def test_wrong_keys_count_together_on_every_endpoint(client, settings, make_building):
    settings.BAD_KEY_RATE = "2/min"
    make_building()
    assert client.get(LIST, HTTP_X_API_KEY="guess").status_code == 401
    heartbeat = {"api_key": "guess", "building_id": 10, "sensor_uuid": "a"}
    assert client.post("/api/v1/heartbeat", heartbeat, content_type="application/json").status_code == 401
    check = client.get("/api/v1/firmware/check", {"sensor_uuid": "a"}, HTTP_X_API_KEY="guess")
    assert check.status_code == 429 and check.json()["status"] == "error"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("2001:db8:1:2::10", "2001:db8:1:2:ffff::1"),  # one client's /64
        ("10.9.9.9", "::ffff:10.9.9.9"),  # the same address, IPv4 and mapped
    ],
)
def test_a_clients_addresses_count_as_one(client, settings, one, other):
    settings.BAD_KEY_RATE = "2/min"
    client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR=one)
    client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR=other)
    assert client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR=one).status_code == 429
    assert client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR="2001:db8:1:3::10").status_code == 401  # another


def test_requests_with_no_address_are_limited_together(client, settings):
    settings.BAD_KEY_RATE = "2/min"
    settings.TRUST_X_FORWARDED_FOR = True  # and the proxy sent nothing usable, as through a unix socket
    answers = [
        client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="junk").status_code
        for _ in range(3)
    ]
    assert answers == [401, 401, 429]


def test_a_missing_read_key_configuration_is_503_not_counted_as_a_wrong_key(client, settings):
    settings.SENSOR_PUBLIC_API_KEY = ""
    settings.BAD_KEY_RATE = "1/min"
    assert [client.get(LIST, HTTP_X_API_KEY="any").status_code for _ in range(3)] == [503, 503, 503]


def test_a_rate_of_0_turns_the_limit_off(client, settings, refusals):
    settings.READ_API_RATE = None  # what READ_API_RATE=0 reads as
    settings.BAD_KEY_RATE = None
    assert {client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code for _ in range(30)} == {200}
    assert {client.get(LIST, HTTP_X_API_KEY="guess").status_code for _ in range(40)} == {401}
    assert refusals() == {}


def test_each_refusal_is_counted_but_logged_once_a_minute_per_offender(client, settings, caplog, time_travel, refusals):
    settings.BAD_KEY_RATE = "1/min"
    with caplog.at_level(logging.WARNING):
        for address in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"):
            client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR=address)
        time_travel(seconds=61)
        for _ in range(2):
            client.get(LIST, HTTP_X_API_KEY="guess", REMOTE_ADDR="10.0.0.1")
    lines = [record.getMessage() for record in caplog.records if record.getMessage().startswith("rate_limited")]
    assert lines == [
        "rate_limited kind=bad_key offender=10.0.0.1 rate=1/min",
        "rate_limited kind=bad_key offender=10.0.0.2 rate=1/min",
        "rate_limited kind=bad_key offender=10.0.0.1 rate=1/min",
    ]
    assert refusals() == {"bad_key": 4}
    assert not [record for record in caplog.records if getattr(record, "status_code", None) == 429]  # Django's


def test_metrics_list_every_kind_of_limit_from_the_start(client):
    scrape = client.get("/metrics").content.decode()
    for kind in throttling.KINDS:
        assert f'powerbot_rate_limited_total{{kind="{kind}"}} 0.0' in scrape


@pytest.mark.django_db(transaction=True)  # as requests run: a failed query aborts no transaction
def test_with_its_cache_gone_every_request_passes_and_the_log_says_so_once(client, settings, caplog):
    settings.READ_API_RATE = "1/min"
    with caplog.at_level(logging.WARNING, logger="powerbot.throttling"), cache_table_missing():
        answers = [client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    warnings = [record.getMessage() for record in caplog.records if "cannot be reached" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith("rate limits not checked for 30 s")


@contextmanager
def cache_table_missing() -> Iterator[None]:
    """The database's cache table gone, as after a migrate that never ran."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE powerbot_rate_limits RENAME TO powerbot_rate_limits_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE powerbot_rate_limits_away RENAME TO powerbot_rate_limits")


def test_without_redis_the_counts_are_kept_in_the_databases_cache_table(client):
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM powerbot_rate_limits")
        before = cursor.fetchone()[0]
        client.get(LIST, HTTP_X_API_KEY=READ_KEY)
        cursor.execute("SELECT COUNT(*) FROM powerbot_rate_limits")
        assert cursor.fetchone()[0] == before + 1


@pytest.mark.parametrize(
    ("raw", "rate"),
    [("600/min", "600/min"), ("120 / MINUTE", "120/minute"), ("6/hour", "6/hour"), ("1/s", "1/s"), ("0", None)],
)
def test_a_rate_reads_as_drf_takes_it(monkeypatch, raw, rate):
    monkeypatch.setenv("SOME_RATE", raw)
    assert config.get_rate("SOME_RATE", "1/min") == rate


def test_an_empty_rate_is_the_default(monkeypatch):
    monkeypatch.setenv("SOME_RATE", "")
    assert config.get_rate("SOME_RATE", "30/min") == "30/min"


@pytest.mark.parametrize(
    "raw", ["600", "600/week", "0/min", "-1/min", "fast", "600/min/2", "٣/min", "10001/min", "99999999999999999999/min"]
)
def test_a_bad_rate_stops_the_service_with_the_variable_named(monkeypatch, raw):
    monkeypatch.setenv("SOME_RATE", raw)
    with pytest.raises(config.ConfigError, match=r"SOME_RATE: .* is not a rate such as 600/min"):
        config.get_rate("SOME_RATE", "1/min")


def test_write_keys_are_unaffected_by_read_limits(client, settings, make_building):
    settings.READ_API_RATE = "1/min"
    make_building()
    client.get(LIST, HTTP_X_API_KEY=READ_KEY)
    assert client.get(LIST, HTTP_X_API_KEY=READ_KEY).status_code == 429
    beat = {"api_key": WRITE_KEY, "building_id": 10, "sensor_uuid": "a"}
    assert client.post("/api/v1/heartbeat", beat, content_type="application/json").status_code == 200
