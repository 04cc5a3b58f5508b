"""Webhook mode: `runbot` registers its URL with a secret, takes updates only with that
secret, and several processes behind a proxy answer every update exactly once."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from conftest import free_port
from telegrambot.application import webhook_secret
from testsupport.balancer import Balancer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook_bot(telegram, bot_process):
    """Start `runbot` in webhook mode for `url`, listening on `port`; returns once registered."""

    def start(url: str, port: int) -> None:
        registered = len(telegram.calls_to("setWebhook"))
        bot_process(TELEGRAM_WEBHOOK_URL=url, TELEGRAM_WEBHOOK_BIND=f"127.0.0.1:{port}")
        telegram.wait_for(lambda: len(telegram.calls_to("setWebhook")) > registered and listening(port), timeout=30)

    return start


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def post_update(port: int, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram/webhook", json.dumps(update).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhook_mode_registers_its_url_with_the_secret_and_answers(telegram, webhook_bot):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    webhook_bot(url, port)

    assert telegram.webhook == {"url": url, "secret_token": webhook_secret()}
    reply = telegram.user(42, language_code="en").send("/help", timeout=30)
    assert reply.params["text"].startswith("I tell you whether your building has electricity.")


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
def test_an_update_without_the_secret_gets_403_and_is_not_processed(telegram, webhook_bot, secret):
    port = free_port()
    webhook_bot(f"http://127.0.0.1:{port}/telegram/webhook", port)
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/help",
            "chat": {"id": 666, "type": "private"},
            "from": {"id": 666, "is_bot": False, "first_name": "Mallory"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    assert post_update(port, forged, secret) == 403
    telegram.user(42, language_code="en").send("/help", timeout=30)  # a real update after it is answered...
    assert telegram.texts(666) == []  # ...and the forged one never was


def test_two_webhook_processes_answer_every_update_exactly_once(telegram, webhook_bot):
    ports = [free_port(), free_port()]
    with Balancer(ports) as balancer:
        url = f"http://127.0.0.1:{balancer.port}/telegram/webhook"
        for port in ports:
            webhook_bot(url, port)
        residents = [telegram.user(300 + n, language_code="en") for n in range(20)]
        for resident in residents:
            resident.write("/help")
        telegram.wait_for(lambda: all(telegram.texts(r.id) for r in residents), timeout=60)

    assert all(len(telegram.texts(resident.id)) == 1 for resident in residents)
    assert all(balancer.connections[port] > 0 for port in ports)  # both processes took a share
    assert sorted(update_id for update_id, status in telegram.webhook_answers if status == 200) == sorted(
        {update_id for update_id, _ in telegram.webhook_answers}
    )  # each delivered once, answered 200
