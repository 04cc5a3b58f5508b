"""`manage.py simulate_sensors`: virtual boards speak the firmware's HTTP to a served PowerBot."""

from __future__ import annotations

import json

import pytest

from conftest import WRITE_KEY, ServedApp
from sensors import simulator

DEMO = "buildings:\n  - {id: 71, name: Simulated, sections: 2}\n"


def test_outages_and_durations_parse_or_say_what_is_expected():
    assert simulator.parse_outage("1:2@1+3") == simulator.Outage(1, 2, 60.0, 180.0)
    assert simulator.parse_outage("7:1@90s+2m") == simulator.Outage(7, 1, 90.0, 120.0)
    with pytest.raises(ValueError, match="use BUILDING:SECTION@START"):
        simulator.parse_outage("1-2@1+3")
    with pytest.raises(ValueError, match="not a duration"):
        simulator.parse_outage("1:2@soon+3")
    with pytest.raises(ValueError, match="longer than 0"):
        simulator.parse_outage("1:2@1+0s")


@pytest.fixture(scope="module")
def app(served_app: ServedApp) -> ServedApp:
    result = served_app.manage("import_mappings", "-", stdin=DEMO)
    assert result.returncode == 0, result.stderr
    return served_app


def test_simulated_boards_are_heard_and_a_scripted_outage_silences_its_section(app):
    run = app.manage(
        "simulate_sensors",
        "--url",
        f"http://127.0.0.1:{app.port}",
        "--key",
        WRITE_KEY,
        "--building",
        "71",
        "--interval",
        "0.5",
        "--jitter",
        "0.1",
        "--duration",
        "4s",
        "--outage",
        "71:2@1.5s+10s",
        "--report-every",
        "2",
    )

    assert run.returncode == 0, run.stderr
    assert "simulating 2 sensors against" in run.stdout
    assert "outage: building 71 section 2 loses power for 10 s" in run.stdout
    assert "t+2 s: " in run.stdout and "stopped after 4 s: " in run.stdout
    assert "unreachable" not in run.stdout and "rejected" not in run.stdout
    heard = app.manage(
        "shell",
        "-c",
        "import json; from sensors.models import Sensor; print(json.dumps("
        "{s.uuid: s.last_heartbeat.timestamp() for s in Sensor.objects.filter(uuid__startswith='sim-b71')}))",
    )
    last = json.loads(heard.stdout.strip().splitlines()[-1])
    assert set(last) == {"sim-b71-s1-1", "sim-b71-s2-1"}
    # Section 1 beat to the end; section 2 went silent 1.5 s in.
    assert last["sim-b71-s1-1"] - last["sim-b71-s2-1"] >= 1.5


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--outage", "71:9@1+1"], "outage building 71 section 9: no such section"),
        (["--building", "404"], "no building 404 in the database"),
        (["--url", "https://example.org"], "the firmware speaks plain HTTP"),
        (["--interval", "1", "--jitter", "2"], "--jitter from 0 to below --interval"),
    ],
)
def test_bad_options_stop_with_a_clear_message(app, args, problem):
    run = app.manage("simulate_sensors", "--key", WRITE_KEY, "--building", "71", *args)
    assert run.returncode == 1
    assert problem in run.stderr


def test_without_a_key_it_says_where_to_get_one(app):
    env_without_key = {**app.env, "SENSOR_API_KEY": ""}
    run = ServedApp(app.port, env_without_key).manage("simulate_sensors")
    assert run.returncode == 1
    assert "no sensor key: pass --key or set SENSOR_API_KEY" in run.stderr
