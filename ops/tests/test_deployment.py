"""The Docker deployment, checked without a Docker engine: the compose file and Dockerfile
parse, name commands that exist, and use only documented variables."""

from __future__ import annotations

import ast
import re
import shlex
from typing import Any

import yaml
from django.conf import settings
from django.core.management import get_commands

from conftest import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = {name: service for name, service in SERVICES.items() if service.get("build") == "."}
LONG_RUNNING = {name for name, service in SERVICES.items() if service.get("restart") != "no"}
ENV_EXAMPLE = (BASE_DIR / ".env.example").read_text()
README = (BASE_DIR / "README.md").read_text()
# ${NAME}, ${NAME:-default}, ${NAME:?error}; $$ escapes a dollar for the container's shell.
COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")


def documented(name: str) -> bool:
    """In .env.example as `NAME=` or `#NAME=` at the start of a line."""
    return re.search(rf"^#?{name}=", ENV_EXAMPLE, re.MULTILINE) is not None


def variables_the_code_reads() -> set[str]:
    """Every variable name passed to a `powerbot.config` reader in the settings and gunicorn's config."""
    names = set()
    for path in (
        BASE_DIR / "powerbot" / "settings.py",
        BASE_DIR / "powerbot" / "gunicorn.conf.py",
        BASE_DIR / "powerbot" / "logs.py",
    ):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")).startswith(("get_", "parse_"))
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value.isupper()
            ):
                names.add(node.args[0].value)
    return names


def test_the_compose_file_has_every_part_of_the_deployment():
    assert {"web", "worker", "sender", "beat", "bot", "redis", "postgres", "migrate"} <= SERVICES.keys()
    assert {"web", "worker", "sender", "beat", "bot", "migrate", "backup"} <= APP_SERVICES.keys()
    images = {service.get("image") for service in APP_SERVICES.values()}
    assert images == {"${POWERBOT_IMAGE:-powerbot:latest}"}  # one image for every part


def test_every_app_command_exists():
    django_commands = get_commands()
    for name, service in APP_SERVICES.items():
        command = service["command"]
        program = command[0]
        if program == "python":
            assert command[1] == "manage.py" and command[2] in django_commands, name
        elif program == "celery":
            assert command[1:3] == ["-A", "powerbot"] and command[3] in {"worker", "beat"}, name
        else:
            assert program == "gunicorn" and command[1] == "-c" and (BASE_DIR / command[2]).is_file(), name


def test_every_task_queue_has_a_worker_and_there_is_one_beat():
    queues = {"celery"} | {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = set()
    for service in APP_SERVICES.values():
        command = service["command"]
        if command[:4] == ["celery", "-A", "powerbot", "worker"]:
            assert "--beat" not in command and "-B" not in command  # beat runs once, as its own service
            consumed |= set(command[command.index("--queues") + 1].split(","))
    assert consumed == queues
    assert [name for name, service in APP_SERVICES.items() if "beat" in service["command"]] == ["beat"]


def test_long_running_services_restart_and_the_servers_and_workers_have_health_checks():
    for name in LONG_RUNNING:
        assert SERVICES[name]["restart"] == "unless-stopped", name
    for name in ("postgres", "redis", "web", "worker", "sender"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/api/v1/health" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name, service in APP_SERVICES.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in SERVICES, (name, dependency)
            expected = "service_completed_successfully" if dependency == "migrate" else "service_healthy"
            assert condition == {"condition": expected}, (name, dependency)


def test_named_volumes_are_declared_and_data_lives_in_them():
    declared = set(COMPOSE["volumes"])
    used = {
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if not volume.startswith(("/", "."))
    }
    assert used == declared
    assert "postgres-data:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]


def test_traefik_labels_come_from_the_seed_variables_and_the_sensor_port_is_kept():
    # A list of KEY=value: compose interpolates values only, and the router's name is part of the key.
    assert isinstance(SERVICES["web"]["labels"], list)
    labels = dict(label.split("=", 1) for label in SERVICES["web"]["labels"])
    assert labels["traefik.http.routers.${TRAEFIK_ROUTER:-powerbot}.rule"].startswith("${TRAEFIK_RULE:?")
    assert labels["traefik.http.services.${TRAEFIK_ROUTER:-powerbot}.loadbalancer.server.port"] == "8000"
    assert SERVICES["web"]["ports"] == ["${SENSOR_HTTP_PORT:-18081}:8001"]  # the sensor-only port
    assert {name: SERVICES[name]["profiles"] for name in ("bot", "traefik", "backup")} == {
        "bot": ["bot"],
        "traefik": ["proxy"],
        "backup": ["backup"],
    }


def test_every_compose_variable_is_documented_in_env_example():
    used = set(COMPOSE_VARIABLE.findall((BASE_DIR / "docker-compose.yml").read_text()))
    assert used, "the pattern finds the file's variables"
    assert [name for name in sorted(used) if not documented(name)] == []


def test_every_variable_the_code_reads_is_documented_in_env_example_and_readme():
    names = variables_the_code_reads()
    assert {"SENSOR_API_KEY", "DATABASE_URL", "LOG_FORMAT", "METRICS_KEY", "WEB_WORKERS"} <= names
    assert [name for name in sorted(names) if not documented(name)] == []
    assert [name for name in sorted(names) if f"`{name}`" not in README] == []
    assert documented("SENSOR_ALIAS_12_1")  # the SENSOR_ALIAS_<B>_<S> family, by example


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions, continuation lines joined, split into stages."""
    text = re.sub(r"\\\n\s*", " ", (BASE_DIR / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    stages: list[list[str]] = []
    for line in lines:
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_is_multi_stage_slim_and_runs_as_a_user_without_build_tools():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    assert re.search(r"PYTHON_IMAGE=python:3\.11-slim", (BASE_DIR / "Dockerfile").read_text())
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    installs = " ".join(line for line in runtime if "apt-get install" in line or "pip install" in line)
    for tool in ("gcc", "build-essential", "g++", "make", "-dev"):
        assert tool not in installs
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    command = shlex.split(next(line for line in runtime if line.startswith("CMD "))[4:].strip("[]").replace(",", " "))
    assert command == ["gunicorn", "-c", "powerbot/gunicorn.conf.py"]
    assert "EXPOSE 8000" in runtime


def test_the_build_context_leaves_out_local_state_and_secrets():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env*", "!.env.example"} <= ignored


def test_the_compose_settings_pass_djangos_deployment_check(tmp_path):
    from conftest import project_env, run_manage

    environment = COMPOSE["x-app"]["environment"]
    env = project_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DEBUG="false",
        BEHIND_HTTPS_PROXY=environment["BEHIND_HTTPS_PROXY"],
        SENSOR_ONLY_PORT=environment["SENSOR_ONLY_PORT"],
        SECRET_KEY="kq8Zr1v-Xm3pW9s_Tn6yB2cLd4Hf7Gj0QeRu5AoIiUwEzVxYbN",
    )
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0 and "System check identified no issues" in result.stdout, result.stderr
    assert SERVICES["web"]["ports"] == ["${SENSOR_HTTP_PORT:-18081}:" + environment["SENSOR_ONLY_PORT"]]


def test_make_test_runs_and_type_checks_every_app_of_ours():
    import tomllib

    from django.apps import apps

    ours = {app.name for app in apps.get_app_configs() if (BASE_DIR / app.name).is_dir()}
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    assert ours <= set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    assert ours <= set(config["tool"]["mypy"]["files"])
