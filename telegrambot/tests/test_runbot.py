"""`manage.py runbot` as operators run it: a process that polls, registers its commands,
rides out network errors and stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import BASE_DIR
from notifications.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_runbot_answers_registers_commands_and_stops_on_a_signal(telegram, bot_process, make_building, stop):
    make_building()
    bot = bot_process()
    reply = telegram.user(42, language_code="en").send("/start", replies=2, timeout=30)
    assert reply.params["text"].startswith("🏠 Choose your building")
    registered = {
        call.params.get("language_code"): json.loads(call.params["commands"])
        for call in telegram.calls_to("setMyCommands")
    }
    assert set(registered) == {None, "en"}  # Ukrainian is the default list
    assert registered["en"][0] == {"command": "status", "description": "Is the power on now"}
    assert registered[None][0] == {"command": "status", "description": "Чи є зараз світло"}
    bot.send_signal(stop)
    output, _ = bot.communicate(timeout=30)
    assert bot.returncode == 0, output
    assert "bot: stopped" in output
    assert telegram.token not in output  # no request URL (which holds the token) is logged
    assert Subscriber.objects.filter(chat_id=42).exists()


def test_runbot_without_a_token_says_what_to_set():
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": "sqlite:///:memory:"}
    result = subprocess.run(
        [sys.executable, "manage.py", "runbot"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_polling_goes_on_after_network_errors(bot, make_building):
    make_building()
    bot.fail_polls(2)
    bot.wait_for(lambda: bot.failed_polls == 2, timeout=30)  # refused twice, and still polling
    answer = bot.user(42, language_code="en").send("/myid", timeout=30)
    assert "<code>42</code>" in answer.params["text"]
