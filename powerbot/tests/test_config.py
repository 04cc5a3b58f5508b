"""Configuration is parsed strictly: a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from conftest import BASE_DIR
from powerbot import config


@pytest.fixture
def environ(monkeypatch):
    def set_(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("YES", True), ("off", False), ("", True)])
def test_booleans(environ, raw, expected):
    environ(FLAG=raw)
    assert config.get_bool("FLAG", True) is expected


def test_a_misspelt_boolean_names_the_variable(environ):
    environ(DEBUG="flase")
    with pytest.raises(config.ConfigError, match="Environment variable DEBUG: 'flase' is not a boolean"):
        config.get_bool("DEBUG", False)


@pytest.mark.parametrize(
    ("raw", "problem"), [("abc", "not a whole number"), ("0", "below the minimum of 1"), ("1.5", "not a whole number")]
)
def test_integers_are_checked(environ, raw, problem):
    environ(SENSOR_TIMEOUT_SEC=raw)
    with pytest.raises(config.ConfigError, match=f"SENSOR_TIMEOUT_SEC: .*{problem}"):
        config.get_int("SENSOR_TIMEOUT_SEC", 150, minimum=1)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("50,45", "'50,45' is not a number (write it with a dot: 50.45)"),
        ("nan", "'nan' is not a number"),
        ("91", "91.0 is above the maximum of 90"),
    ],
)
def test_coordinates_are_checked(environ, raw, problem):
    environ(WEATHER_LAT=raw)
    with pytest.raises(config.ConfigError, match=f"Environment variable WEATHER_LAT: {re.escape(problem)}"):
        config.get_float("WEATHER_LAT", 50.45, minimum=-90, maximum=90)


def test_uuid_building_map_accepts_every_separator():
    raw = "ESP-A:10, esp-b=11;esp-c:12\n esp-d=13"
    assert config.parse_uuid_building_map("M", raw) == {"esp-a": 10, "esp-b": 11, "esp-c": 12, "esp-d": 13}
    assert config.parse_uuid_building_map("M", "") == {}


@pytest.mark.parametrize("raw", ["esp-a", "esp-a:x", "esp-a:0", ":10", "esp:99999999999"])
def test_uuid_building_map_rejects_malformed_entries(raw):
    with pytest.raises(config.ConfigError, match="SENSOR_UUID_BUILDING_MAP: entry"):
        config.parse_uuid_building_map("SENSOR_UUID_BUILDING_MAP", raw)


def test_section_aliases_from_variables():
    parsed = config.parse_section_aliases({"SENSOR_ALIAS_10_2": "11:1, 12:3", "OTHER": "x"})
    assert parsed == {(10, 2): ((11, 1), (12, 3))}


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("SENSOR_ALIAS_X_2", "1:1", "the name must be SENSOR_ALIAS_<building>_<section>"),
        ("SENSOR_ALIAS_1_2", "11-1", "entry '11-1' must look like building:section"),
    ],
)
def test_section_aliases_reject_bad_names_and_entries(name, value, problem):
    with pytest.raises(config.ConfigError, match=f"{name}: {problem}"):
        config.parse_section_aliases({name: value})


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("https://api.telegram.org", True),
        ("http://127.0.0.1:8081/", True),
        ("https://api.telegram.org/bot", False),
        ("ftp://x", False),
    ],
)
def test_telegram_api_url_is_a_root_url(environ, raw, ok):
    environ(TELEGRAM_API_URL=raw)
    if ok:
        assert config.get_url("TELEGRAM_API_URL", "") == raw.rstrip("/")
    else:
        with pytest.raises(config.ConfigError, match="TELEGRAM_API_URL"):
            config.get_url("TELEGRAM_API_URL", "")


def test_admin_telegram_ids_take_commas_or_spaces(environ):
    environ(ADMIN_TELEGRAM_IDS="42, 7 1001")
    assert config.get_int_set("ADMIN_TELEGRAM_IDS") == {42, 7, 1001}


def test_admin_telegram_ids_refuse_a_name(environ):
    environ(ADMIN_TELEGRAM_IDS="42,@operator")
    with pytest.raises(config.ConfigError, match="ADMIN_TELEGRAM_IDS: '42,@operator' must be whole numbers"):
        config.get_int_set("ADMIN_TELEGRAM_IDS")


def test_unparseable_database_url_names_the_variable(environ):
    environ(DATABASE_URL="nosuchdb://x")
    with pytest.raises(config.ConfigError, match="DATABASE_URL"):
        config.get_database("DATABASE_URL", "")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENSOR_TIMEOUT_SEC", "soon"),
        ("DEBUG", "maybe"),
        ("SENSOR_UUID_BUILDING_MAP", "broken"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("SENSOR_ALIAS_1", "1:1"),
        ("LOG_FORMAT", "yaml"),
        ("LOG_LEVEL", "loud"),
        ("METRICS_ALLOWED_IPS", "10.0.0.0/8, intranet"),
        ("METRICS_FLUSH_SEC", "-1"),
        ("WEATHER_POLL_SEC", "30"),
        ("WEATHER_LAT", "north"),
    ],
)
def test_start_up_stops_on_a_bad_value_and_names_it(name, value):
    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:", name: value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert f"Environment variable {name}" in result.stderr


def test_public_key_equal_to_the_write_key_is_refused():
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:///:memory:",
        "SENSOR_API_KEY": "same",
        "SENSOR_PUBLIC_API_KEY": "same",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SENSOR_PUBLIC_API_KEY: must differ from SENSOR_API_KEY" in result.stderr


def test_metrics_networks_take_addresses_and_networks(environ):
    environ(METRICS_ALLOWED_IPS="10.0.0.0/8 192.168.1.7,::1")
    assert [str(net) for net in config.get_networks("METRICS_ALLOWED_IPS", "")] == [
        "10.0.0.0/8",
        "192.168.1.7/32",
        "::1/128",
    ]


def test_log_format_and_metrics_networks_errors_say_what_is_allowed(environ):
    environ(LOG_FORMAT="yaml", METRICS_ALLOWED_IPS="10.0.0.0/8 intranet")
    with pytest.raises(config.ConfigError, match="LOG_FORMAT: 'yaml' is not one of: plain, json"):
        config.get_choice("LOG_FORMAT", "plain", ("plain", "json"))
    with pytest.raises(config.ConfigError, match="METRICS_ALLOWED_IPS: 'intranet' does not appear to be"):
        config.get_networks("METRICS_ALLOWED_IPS", "")


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("", True),
        ("https://power.example.org/telegram/webhook", True),
        ("https://power.example.org", False),
        ("power.example.org/hook", False),
        ("https://power.example.org/hook?x=1", False),
    ],
)
def test_webhook_url_is_a_full_url_with_a_path(environ, raw, ok):
    environ(TELEGRAM_WEBHOOK_URL=raw)
    if ok:
        assert config.get_page_url("TELEGRAM_WEBHOOK_URL") == raw
    else:
        with pytest.raises(config.ConfigError, match=r"TELEGRAM_WEBHOOK_URL: .* must be a full URL with a path"):
            config.get_page_url("TELEGRAM_WEBHOOK_URL")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.0.0.0:8081", ("0.0.0.0", 8081)),
        ("[::]:9000", ("::", 9000)),
        ("8081", None),
        ("host:0", None),
        ("host:http", None),
    ],
)
def test_webhook_bind_is_host_and_port(environ, raw, expected):
    environ(TELEGRAM_WEBHOOK_BIND=raw)
    if expected:
        assert config.get_bind("TELEGRAM_WEBHOOK_BIND", "0.0.0.0:8081") == expected
    else:
        with pytest.raises(config.ConfigError, match=r"TELEGRAM_WEBHOOK_BIND: .* must be host:port"):
            config.get_bind("TELEGRAM_WEBHOOK_BIND", "0.0.0.0:8081")


@pytest.mark.parametrize(
    ("raw", "ok"), [("", True), ("s3cr3t_-Token", True), ("has space", False), ("x" * 257, False), ("ümlaut", False)]
)
def test_webhook_secret_is_telegrams_alphabet(environ, raw, ok):
    environ(TELEGRAM_WEBHOOK_SECRET=raw)
    if ok:
        assert config.get_token("TELEGRAM_WEBHOOK_SECRET") == raw
    else:
        with pytest.raises(config.ConfigError, match="TELEGRAM_WEBHOOK_SECRET: may hold only letters"):
            config.get_token("TELEGRAM_WEBHOOK_SECRET")


def test_the_generated_secret_key_is_private_from_the_start_and_one_for_processes_starting_together(
    tmp_path, monkeypatch
):
    import concurrent.futures
    import stat

    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "var" / "secret_key"
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: config.get_secret_key("SECRET_KEY", path), range(8)))
    assert len(keys) == 1 and path.read_text().strip() in keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("")
    with pytest.raises(ImproperlyConfigured, match="is empty: delete it, or set SECRET_KEY"):
        config.get_secret_key("SECRET_KEY", path)
