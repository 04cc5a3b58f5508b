import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from powerbot.celery import declare_queues


class Command(BaseCommand):
    help = (
        "Run every PowerBot process under honcho, logs prefixed: web, worker (with beat), sender, "
        "the bot when TELEGRAM_BOT_TOKEN is set, the MQTT subscriber when MQTT_URL is. Ctrl-C stops "
        "them all. `make run` calls this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="The web port on 127.0.0.1 (default 8000).")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also run the simulator (the Procfile's `simulator`), as `make demo` does.",
        )

    def handle(self, *args: str, port: int, demo: bool, **options: Any) -> None:
        honcho = shutil.which("honcho")
        if honcho is None:
            raise CommandError("honcho is not installed: run `make run`, which installs it into .venv")
        processes = ["web", "worker", "sender"]
        if settings.TELEGRAM_BOT_TOKEN:
            processes.append("bot")
        if settings.MQTT_URL is not None:
            processes.append("mqtt")
        if demo:
            processes.append("simulator")
        self.stdout.write(self._banner(port, processes, demo))
        self.stdout.flush()
        declare_queues()  # the worker and the sender start at once: neither may race to make them
        os.environ["WEB_PORT"] = str(port)
        os.chdir(settings.BASE_DIR)  # the Procfile's paths are the project's
        # honcho takes over this process: Ctrl-C reaches it, and it stops every process group it
        # started. `-e /dev/null`: the settings read .env themselves, and environment variables win.
        os.execv(honcho, [honcho, "start", "-f", "Procfile", "-e", os.devnull, *processes])

    def _banner(self, port: int, processes: list[str], demo: bool) -> str:
        root = f"http://127.0.0.1:{port}"
        python = os.path.relpath(sys.executable)
        database = connection.settings_dict["NAME"] if connection.vendor == "sqlite" else "PostgreSQL"
        key = settings.SENSOR_API_KEY
        lines = [
            "",
            f"PowerBot is starting: {', '.join(processes)} (database: {database}; "
            f"broker: {'Redis' if settings.REDIS_URL else 'embedded'})",
            f"  Public API   {root}/api/v1/public/sensors/status   (read key: SENSOR_PUBLIC_API_KEY)",
            f"  API docs     {root}/api/v1/docs/",
            f"  Admin        {root}/admin/   first admin user: {python} manage.py createsuperuser",
            f"  Health       {root}/api/v1/health   readiness: {root}/api/v1/ready   metrics: {root}/metrics",
            "  Send a heartbeat as a sensor does:",
            f"    curl -X POST {root}/api/v1/heartbeat -H 'Content-Type: application/json' \\",
            f'      -d \'{{"api_key": "{key if demo else "<SENSOR_API_KEY>"}", "building_id": 1, '
            f'"section_id": 1, "sensor_uuid": "my-first-sensor"}}\'',
        ]
        if not key:
            lines.append("    (no sensor key yet: set SENSOR_API_KEY in .env, or add a write key in the admin)")
        if not demo:
            lines.append(
                "    (building 1 must exist: add it in the admin, or `make demo` for demo buildings and sensors)"
            )
        if "mqtt" in processes:
            lines.append(
                f"  MQTT         subscribing at {settings.MQTT_URL} (powerbot/<sensor_uuid>/heartbeat, .../status)"
            )
        if "bot" not in processes:
            lines.append("  Telegram bot: off; set TELEGRAM_BOT_TOKEN in .env to start it with the rest")
        lines += ["Ctrl-C stops every process.", ""]
        return "\n".join(lines)
