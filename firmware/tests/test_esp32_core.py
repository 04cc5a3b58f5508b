"""The reference firmware's portable core (firmware/esp32/lib/powerbot_core), built with
g++ on this machine: its own unit tests, one pytest item each, then the same client code
over real sockets against the real server under gunicorn."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import BASE_DIR, WRITE_KEY, ServedApp, require_service
from firmware.tests.images import esp32_image
from sensors.simulator import firmware_request

ESP32 = BASE_DIR / "firmware" / "esp32"
CORE = ESP32 / "lib" / "powerbot_core" / "src" / "powerbot"
TESTS = ESP32 / "test"
FUZZ = TESTS / "fuzz"
# The fuzz drivers (LLVMFuzzerTestOneInput), each linked with a seeded stand-in for libFuzzer.
FUZZ_DRIVERS = sorted(path.stem.removeprefix("fuzz_") for path in FUZZ.glob("fuzz_*.cpp") if path.stem != "fuzz_main")
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
# Memory and undefined-behaviour errors fail the tests (unoptimised: the sanitizers make
# -O1 several times slower to build); a compiler without their runtime builds plainly.
FLAVOURS = [["-O0", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"], ["-O1"]]
UNIT_TESTS = sorted(
    name for path in TESTS.glob("test_*.cpp") for name in re.findall(r"^TEST\((\w+)\)", path.read_text(), re.M)
)


def build(folder: Path, flavour: list[str]) -> str:
    """Compile every source to an object (in parallel), link both programs; the compiler's
    complaints, or "" when both are built."""
    library = sorted(CORE.glob("*.cpp"))
    programs = {
        "core_tests": [*library, TESTS / "harness.cpp", *sorted(TESTS.glob("test_*.cpp"))],
        "host_client": [*library, TESTS / "host_client.cpp"],
        **{f"fuzz_{name}": [*library, FUZZ / "fuzz_main.cpp", FUZZ / f"fuzz_{name}.cpp"] for name in FUZZ_DRIVERS},
    }

    def compile_one(source: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "g++",
                *WARNINGS,
                *flavour,
                f"-I{CORE.parent}",
                f"-I{TESTS}",
                f'-DPOWERBOT_TEST_DATA="{TESTS}"',
                "-c",
                str(source),
                "-o",
                str(folder / f"{source.stem}.o"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )

    sources = sorted({source for files in programs.values() for source in files})
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failed = [result.stderr for result in pool.map(compile_one, sources) if result.returncode]
    for program, files in programs.items():
        if failed:
            break
        linked = subprocess.run(
            ["g++", *flavour, *(str(folder / f"{f.stem}.o") for f in files), "-o", str(folder / program)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if linked.returncode:
            failed.append(linked.stderr)
    return "\n".join(failed)


@pytest.fixture(scope="session")
def built() -> Path:
    """The host programs, built once per set of sources (kept in var/ between runs)."""
    require_service(
        "g++",
        shutil.which("g++") is not None,
        "install a C++ compiler (apt-get install g++) to build and test the firmware's core",
    )
    sources = sorted(
        [*CORE.glob("*.cpp"), *CORE.glob("*.h"), *TESTS.glob("*.cpp"), *TESTS.glob("*.h"), *FUZZ.glob("*.cpp")]
    )
    digest = hashlib.sha256(json.dumps([*FLAVOURS, WARNINGS]).encode())
    for source in sources:
        digest.update(source.name.encode() + source.read_bytes())
    folder = BASE_DIR / "var" / "firmware-host" / digest.hexdigest()[:16]
    if not (folder / "host_client").exists():
        errors = []
        for flavour in FLAVOURS:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            errors.append(build(folder, flavour))
            if not errors[-1]:
                break
        else:
            pytest.fail("the firmware core does not build:\n" + "\n".join(errors)[-4000:])
    return folder


def run(program: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], capture_output=True, text=True, timeout=60)


def test_every_unit_test_is_registered(built):
    assert sorted(run(built / "core_tests", "--list").stdout.split()) == UNIT_TESTS
    assert len(UNIT_TESTS) >= 30


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_firmware_core(built, name):
    result = run(built / "core_tests", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok {name}" in result.stdout


@pytest.mark.parametrize("driver", FUZZ_DRIVERS)
def test_a_fuzz_driver_runs_clean_for_a_fixed_seed(built, driver):
    """A few seconds of each driver under the sanitizers, the same inputs every run; a crash, a
    sanitizer's report or a broken invariant (a trap) fails it. Longer runs: firmware/README.md."""
    result = run(built / f"fuzz_{driver}", "--runs=20000", "--seed=1")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.strip() == "runs: 20000 seed: 1"


def test_every_fuzz_driver_is_run():
    assert FUZZ_DRIVERS == ["client", "form", "head", "offer"]


# --- The same client against the real server ---------------------------------------------


def answer(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


@pytest.fixture(scope="module")
def app(served_app: ServedApp) -> ServedApp:
    result = served_app.manage("import_mappings", "-", stdin="buildings:\n  - {id: 20, name: Kyiv, sections: 2}\n")
    assert result.returncode == 0, result.stderr
    return served_app


def url(app: ServedApp) -> str:
    return f"http://127.0.0.1:{app.port}"


def sensor_telemetry(app: ServedApp, uuid: str) -> list[Any]:
    result = app.manage(
        "shell",
        "-c",
        "import json; from sensors.models import Sensor; "
        f"s = Sensor.objects.get(uuid={uuid!r}); print(json.dumps([s.firmware_version, s.telemetry]))",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_cores_heartbeat_is_the_documented_request(built):
    sent = subprocess.run(
        [str(built / "host_client"), "request", "http://10.1.2.3:18081", "key", "20", "2", "esp32-a", "1.2.0"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    payload = json.loads(sent.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n"))
    assert sent == firmware_request("10.1.2.3", 18081, payload)
    assert payload == {
        "api_key": "key",
        "building_id": 20,
        "section_id": 2,
        "sensor_uuid": "esp32-a",
        "firmware_version": "1.2.0",
        "uptime_sec": 42,
        "rssi": -61,
        "reset_reason": "power_on",
    }


@pytest.mark.parametrize(
    "broker",
    [
        "mqtt://user:pass@127.0.0.1:1883",
        "mqtt://10.0.0.5",
        "mqtts://powerbot:p%40ss%2Fw%3Ard%20%2B@broker.example.org",
        "mqtts://pow%65r@[::1]:8884/",
        "mqtt://u:p@ss@broker:1",
    ],
)
def test_mqtt_mode_reads_the_broker_as_python_does_and_publishes_the_http_body(built, broker):
    """What the server's MQTT_URL means to Python, it means to the board; the heartbeat it
    publishes is the HTTP heartbeat's body, and the status topic has the documented will."""
    args = ["key", "20", "2", "esp32-a", "1.2.0"]
    sent = subprocess.run(
        [str(built / "host_client"), "request", "http://10.1.2.3:18081", *args],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    result = answer(run(built / "host_client", "mqtt", broker, *args))

    expected = urllib.parse.urlsplit(broker)
    assert result["broker host"] == expected.hostname
    assert int(result["broker port"]) == (expected.port or {"mqtt": 1883, "mqtts": 8883}[expected.scheme])
    assert result["broker tls"] == ("yes" if expected.scheme == "mqtts" else "no")
    assert result["broker user"] == urllib.parse.unquote(expected.username or "")
    assert result["broker password"] == urllib.parse.unquote(expected.password or "")
    assert result["heartbeat payload"].encode() == sent.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n")
    assert [result[f"heartbeat {field}"] for field in ("topic", "qos", "retained")] == [
        "powerbot/esp32-a/heartbeat",
        "0",
        "no",
    ]
    assert [result[f"will {field}"] for field in ("topic", "payload", "qos", "retained")] == [
        "powerbot/esp32-a/status",
        "offline",
        "1",
        "yes",
    ]
    assert [result[f"online {field}"] for field in ("topic", "payload", "retained")] == [
        "powerbot/esp32-a/status",
        "online",
        "yes",
    ]


def test_the_cores_heartbeat_is_accepted_and_its_telemetry_kept(built, app):
    result = answer(run(built / "host_client", "heartbeat", url(app), WRITE_KEY, "20", "2", "esp32-host-1", "1.2.0"))

    assert result["delivered"] == "yes" and " 200 " in result["status"]
    sections = app.get_json("/api/v1/public/buildings/20/status")["sections"]
    assert [section["state"] for section in sections] == ["unknown", "up"]
    version, telemetry = sensor_telemetry(app, "esp32-host-1")
    assert version == "1.2.0"
    assert telemetry == {"firmware_version": "1.2.0", "uptime_sec": 42, "rssi": -61, "reset_reason": "power_on"}


@pytest.mark.parametrize(
    ("key", "building", "section", "status"),
    [
        ("wrong-key", "20", "1", "401"),
        (WRITE_KEY, "999", "1", "404"),
        (WRITE_KEY, "20", "7", "400"),
    ],
)
def test_a_refused_heartbeat_is_not_counted_as_delivered(built, app, key, building, section, status):
    result = answer(run(built / "host_client", "heartbeat", url(app), key, building, section, "esp32-host-x", "1.2.0"))
    assert result["delivered"] == "no" and f" {status} " in result["status"]


def test_an_unreachable_server_is_reported(built):
    from conftest import free_port

    result = answer(
        run(built / "host_client", "heartbeat", f"http://127.0.0.1:{free_port()}", "k", "1", "1", "u", "1.0.0")
    )
    assert result["delivered"] == "no" and result["error"] == "cannot connect"


def test_the_core_updates_itself_from_a_real_release(built, app, tmp_path):
    client = built / "host_client"
    assert (
        answer(run(client, "heartbeat", url(app), WRITE_KEY, "20", "1", "esp32-host-2", "1.2.0"))["delivered"] == "yes"
    )
    image = esp32_image([b"\x42" * 200_000, bytes(range(256)) * 100], named=("wt32-eth01", "1.3.0"))
    (tmp_path / "firmware.bin").write_bytes(image)
    released = app.manage("release_firmware", str(tmp_path / "firmware.bin"), "--board", "wt32-eth01")
    assert released.returncode == 0, released.stderr
    installed = tmp_path / "slot.bin"

    result = answer(run(client, "update", url(app), WRITE_KEY, "esp32-host-2", "wt32-eth01", "1.2.0", str(installed)))

    assert result == {
        "check": "HTTP/1.1 200 OK",
        "offer": "1.3.0",
        "decision": "installing",
        "download": "installed (SHA-256 verified)",
    }
    assert installed.read_bytes() == image and not (tmp_path / "slot.bin.partial").exists()
    # Running it now, the board is offered nothing; a version that rolled back is not tried again.
    again = answer(run(client, "update", url(app), WRITE_KEY, "esp32-host-2", "wt32-eth01", "1.3.0", str(installed)))
    assert (again["offer"], again["decision"]) == ("none", "up to date")
    failed = answer(
        run(
            client,
            "update",
            url(app),
            WRITE_KEY,
            "esp32-host-2",
            "wt32-eth01",
            "1.2.0",
            str(tmp_path / "other.bin"),
            "--failed",
            "1.3.0",
        )
    )
    assert failed["decision"] == "offered version rolled back before" and "download" not in failed
    small = answer(
        run(
            client,
            "update",
            url(app),
            WRITE_KEY,
            "esp32-host-2",
            "wt32-eth01",
            "1.2.0",
            str(tmp_path / "other.bin"),
            "--slot",
            "1000",
        )
    )
    assert small["decision"] == "image too large for the update partition"
    assert not (tmp_path / "other.bin").exists()


def test_a_check_with_a_wrong_key_is_refused(built, app, tmp_path):
    result = answer(
        run(
            built / "host_client",
            "update",
            url(app),
            "revoked-or-wrong",
            "esp32-host-2",
            "wt32-eth01",
            "1.2.0",
            str(tmp_path / "slot.bin"),
        )
    )
    assert result["check"] == "HTTP/1.1 401 Unauthorized"
    assert json.loads(result["error"]) == {"status": "error", "message": "Invalid API key"}
