"""Firmware images per board (FIRMWARE_DOWNLOAD_RATE): a board stuck in an update loop is
refused with 429; other boards, and update checks, are served."""

from __future__ import annotations

import pytest

from conftest import WRITE_KEY
from sensors.models import WriteKey

pytestmark = pytest.mark.django_db


def download(client, uuid: str, method: str = "get"):
    path = "/api/v1/firmware/download/wt32-eth01/1.2.0"
    return getattr(client, method)(path, {"sensor_uuid": uuid}, HTTP_X_API_KEY=WRITE_KEY)


def test_a_board_downloading_over_its_rate_is_refused_and_others_are_served(
    client, settings, make_building, make_release
):
    settings.FIRMWARE_DOWNLOAD_RATE = "2/hour"
    make_building()
    make_release("1.2.0")
    assert [download(client, "loop").status_code for _ in range(2)] == [200, 200]
    refused = download(client, "LOOP")  # uuids match case-insensitively
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60  # an hour's window
    assert refused.json()["message"].startswith("Too many requests")
    assert download(client, "other-board").status_code == 200
    check = client.get(
        "/api/v1/firmware/check",
        {"sensor_uuid": "loop", "current_version": "1.0.0", "board": "wt32-eth01"},
        HTTP_X_API_KEY=WRITE_KEY,
    )
    assert check.status_code == 200 and check.json()["update_available"] is True


def test_the_default_allows_the_firmwares_retries(client, make_building, make_release):
    make_building()
    make_release("1.2.0")
    # The firmware retries a failed update after 30 to 90 minutes: a few an hour at most.
    assert {download(client, "board").status_code for _ in range(4)} == {200}


def test_a_head_request_downloads_nothing_and_counts_nothing(client, settings, make_building, make_release):
    settings.FIRMWARE_DOWNLOAD_RATE = "1/hour"
    make_building()
    make_release("1.2.0")
    assert [download(client, "board", "head").status_code for _ in range(3)] == [200, 200, 200]
    assert download(client, "board").status_code == 200


def test_a_key_of_one_board_never_spends_another_boards_downloads(client, settings, make_building, make_release):
    settings.FIRMWARE_DOWNLOAD_RATE = "2/hour"
    make_building()
    make_release("1.2.0")
    key = WriteKey(name="board A", sensor_uuid="board-a")
    raw = key.set_new_key()
    key.save()
    path = "/api/v1/firmware/download/wt32-eth01/1.2.0"
    assert [client.get(path, {"sensor_uuid": "board-b"}, HTTP_X_API_KEY=raw).status_code for _ in range(3)] == [401] * 3
    assert [download(client, "board-b").status_code for _ in range(2)] == [200, 200]  # board B's own budget, whole
