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
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import BASE_DIR, RELEASE_KEY, WRITE_KEY, ServedApp, require_service, run_manage
from firmware import services, signing
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
# The board checks release signatures with mbedTLS; the host programs use the same code against
# Debian's libmbedtls (2.28, as ESP-IDF 4.4 carries).
LIBRARIES = ["-lmbedcrypto"]
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
            ["g++", *flavour, *(str(folder / f"{f.stem}.o") for f in files), "-o", str(folder / program), *LIBRARIES],
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
    has_mbedtls = subprocess.run(
        ["g++", "-E", "-x", "c++", "-"], input="#include <mbedtls/pk.h>\n", capture_output=True, text=True, timeout=60
    )
    require_service(
        "mbedTLS",
        has_mbedtls.returncode == 0,
        "install mbedTLS's headers (apt-get install libmbedtls-dev): the firmware checks release signatures with it",
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
    buildings = "".join(f"  - {{id: {pk}, name: Kyiv {pk}, sections: 2}}\n" for pk in (20, 21, 22, 23))
    result = served_app.manage("import_mappings", "-", stdin=f"buildings:\n{buildings}")
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


@pytest.fixture(scope="module")
def release_key(tmp_path_factory) -> Path:
    """The public half of the key the served app signs with, as the firmware is built with it (PEM)."""
    path = tmp_path_factory.mktemp("keys") / "release-key.pub.pem"
    path.write_bytes(
        signing.load_key(RELEASE_KEY)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def update(built: Path, app: ServedApp, key: Path, uuid: str, board: str, running: str, slot: Path, *options: str):
    """The board's update check, and the install it decides on, against the served app."""
    return answer(
        run(
            built / "host_client",
            "update",
            url(app),
            WRITE_KEY,
            uuid,
            board,
            running,
            str(slot),
            "--release-key",
            str(key),
            *options,
        )
    )


def release(app: ServedApp, tmp_path: Path, board: str, version: str, *options: str, env: dict[str, str] | None = None):
    """An image naming `board` and `version`, released with `manage.py release_firmware`; its bytes."""
    image = esp32_image([b"\x42" * 200_000, bytes(range(256)) * 100], named=(board, version))
    (tmp_path / f"{version}.bin").write_bytes(image)
    args = ("release_firmware", str(tmp_path / f"{version}.bin"), "--board", board, *options)
    released = run_manage(env, *args) if env is not None else app.manage(*args)
    assert released.returncode == 0, released.stderr
    return image


def test_the_core_updates_itself_from_a_real_release(built, app, release_key, tmp_path):
    assert (
        answer(run(built / "host_client", "heartbeat", url(app), WRITE_KEY, "20", "1", "esp32-host-2", "1.2.0"))[
            "delivered"
        ]
        == "yes"
    )
    image = release(app, tmp_path, "wt32-eth01", "1.3.0", "--building", "20")
    installed = tmp_path / "slot.bin"

    result = update(built, app, release_key, "esp32-host-2", "wt32-eth01", "1.2.0", installed)

    assert result == {
        "check": "HTTP/1.1 200 OK",
        "offer": "1.3.0",
        "decision": "installing",
        "download": "installed (signature and SHA-256 verified)",
    }
    assert installed.read_bytes() == image and not (tmp_path / "slot.bin.partial").exists()
    # Running it now, the board is offered nothing; a version that rolled back is not tried again.
    again = update(built, app, release_key, "esp32-host-2", "wt32-eth01", "1.3.0", installed)
    assert (again["offer"], again["decision"]) == ("none", "up to date")
    other = tmp_path / "other.bin"
    failed = update(built, app, release_key, "esp32-host-2", "wt32-eth01", "1.2.0", other, "--failed", "1.3.0")
    assert failed["decision"] == "offered version rolled back before" and "download" not in failed
    small = update(built, app, release_key, "esp32-host-2", "wt32-eth01", "1.2.0", other, "--slot", "1000")
    assert small["decision"] == "image too large for the update partition"
    assert not other.exists()


def shell(app: ServedApp, code: str) -> str:
    """The last line `code` prints in `manage.py shell` (Django's own notes come before it)."""
    result = app.manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def metric(app: ServedApp, line_start: str) -> str:
    with urllib.request.urlopen(f"{url(app)}/metrics", timeout=10) as response:
        text = response.read().decode()
    return next(line for line in text.splitlines() if line.startswith(line_start)).rsplit(" ", 1)[1]


@pytest.mark.parametrize(
    ("building", "reason", "detail"),
    [
        (21, "unsigned", "the release is not signed (2.1.0 carries no signature)"),
        (22, "bad_signature", "the release's signature does not verify with this board's key"),
        (23, "bad_signature", "the release's signature does not verify with this board's key"),
    ],
    ids=["unsigned", "signed-for-another-version", "re-signed-with-another-key"],
)
def test_a_release_the_boards_key_did_not_sign_is_refused_and_the_refusal_counted(
    built, app, release_key, tmp_path, building, reason, detail
):
    """Unsigned (made before signing), a signature lifted from another release, or an image
    re-signed with a key other than the one the firmware is built with: nothing is fetched or
    installed, and the board's heartbeats tell the server why, which the fleet view and the
    metrics count."""
    uuid = f"esp32-refuses-{building}"
    heartbeat = ["heartbeat", url(app), WRITE_KEY, str(building), "1", uuid, "2.0.0"]
    assert answer(run(built / "host_client", *heartbeat))["delivered"] == "yes"
    version = f"2.{building - 20}.0"
    if building == 23:
        other_key = tmp_path / "other.pem"
        signing.create_key(other_key)
        release(
            app,
            tmp_path,
            "esp32-wifi",
            version,
            "--building",
            str(building),
            env=app.env | {"FIRMWARE_SIGNING_KEY": str(other_key)},
        )
    else:
        release(app, tmp_path, "esp32-wifi", version, "--building", str(building))
    if building == 21:
        shell(
            app,
            "from firmware.models import FirmwareRelease as R; "
            f"R.objects.filter(version={version!r}).update(signature='')",
        )
    if building == 22:  # the same key's signature of an older release of the board
        shell(
            app,
            "from firmware.models import FirmwareRelease as R; from firmware import signing, services; "
            f"r = R.objects.get(board='esp32-wifi', version={version!r}); "
            "r.signature = signing.sign(services.signing_key(), r.board, '1.0.0', r.sha256).signature; r.save()",
        )
    before = int(float(metric(app, f'powerbot_firmware_refusing_sensors{{reason="{reason}"}}')))
    slot = tmp_path / "slot.bin"

    result = update(built, app, release_key, uuid, "esp32-wifi", "2.0.0", slot)

    assert (result["offer"], result["decision"]) == (version, "installing")
    assert result["download"].startswith(detail) and result["refused"] == reason
    assert not slot.exists() and not (tmp_path / "slot.bin.partial").exists()
    downloaded = shell(
        app,
        "from firmware.models import SensorFirmware as F; "
        f"print(repr(F.objects.get(sensor__uuid={uuid!r}).downloaded_version))",
    )
    assert downloaded == "''"  # the image was never asked for

    reported = run(built / "host_client", *heartbeat, "--release-key-id", "c0ffee", "--refused", version, reason)
    assert answer(reported)["delivered"] == "yes"
    assert int(float(metric(app, f'powerbot_firmware_refusing_sensors{{reason="{reason}"}}'))) == before + 1
    status = shell(
        app,
        "from firmware import services; from sensors.models import Sensor; "
        f"s = Sensor.objects.select_related('firmware').get(uuid={uuid!r}); "
        "print(services.update_status(s, '9.0.0'), s.telemetry['release_key'])",
    )
    assert status == f"refused {version}: {services.REFUSALS[reason]} c0ffee"


def test_a_check_with_a_wrong_key_is_refused(built, app, release_key, tmp_path):
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
            "--release-key",
            str(release_key),
        )
    )
    assert result["check"] == "HTTP/1.1 401 Unauthorized"
    assert json.loads(result["error"]) == {"status": "error", "message": "Invalid API key"}
