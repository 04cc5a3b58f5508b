"""Telegram's budget, shared by every process of a bot: the rule, and both stores under a race."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest

from notifications.budget import (
    Budget,
    DatabaseStore,
    FallbackStore,
    LocalStore,
    RedisStore,
    SharedBudget,
    counts_as_message,
    paused,
    take_slot,
)

INTERVAL = 0.04  # 25 messages a second


def test_a_reply_reserves_the_next_slot_however_far_ahead():
    budget, wait = take_slot(Budget(next_slot=105.0), 100.0, INTERVAL, bulk=False)
    assert wait == 5.0
    assert budget == Budget(next_slot=105.0 + INTERVAL)


def test_a_bulk_notice_is_refused_while_the_next_slot_is_taken_and_reserves_nothing():
    budget, wait = take_slot(Budget(next_slot=100.5), 100.0, INTERVAL, bulk=True)
    assert budget is None
    assert wait == 0.5


def test_a_bulk_notice_takes_a_slot_that_is_free_now():
    budget, wait = take_slot(Budget(next_slot=99.0), 100.0, INTERVAL, bulk=True)
    assert (budget, wait) == (Budget(next_slot=100.0 + INTERVAL), 0.0)


def test_an_idle_budget_banks_no_slots_for_a_burst():
    budget = Budget()
    starts = []
    for _ in range(3):
        taken, wait = take_slot(budget, 1000.0, INTERVAL, bulk=False)
        assert taken is not None  # not bulk: never refused
        budget = taken
        starts.append(1000.0 + wait)
    assert starts == pytest.approx([1000.0, 1000.0 + INTERVAL, 1000.0 + 2 * INTERVAL])


def test_a_pause_holds_back_replies_and_notices_alike():
    budget = paused(Budget(next_slot=100.0), 102.0)
    assert take_slot(budget, 100.0, INTERVAL, bulk=False)[1] == 2.0
    assert take_slot(budget, 100.0, INTERVAL, bulk=True) == (None, 2.0)
    assert paused(budget, 101.0) == budget  # a shorter pause does not shorten a longer one


@pytest.mark.parametrize(
    ("endpoint", "counted"),
    [
        ("sendMessage", True),
        ("sendPhoto", True),
        ("copyMessage", True),
        ("forwardMessage", True),
        ("editMessageText", False),
        ("answerCallbackQuery", False),
        ("sendChatAction", False),
        ("getMe", False),
    ],
)
def test_only_new_messages_take_a_slot(endpoint, counted):
    assert counts_as_message(endpoint) is counted


@pytest.fixture(params=["database", "redis"])
def store(request, transactional_db):
    """Makes a store of one token's budget, as each process has its own."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return lambda: RedisStore(url, "test-token")
    return lambda: DatabaseStore("test-token")


def reserve(store, count: int) -> list[float]:
    """Reserve `count` reply slots at once from a store of its own; the store-clock start of each."""

    def start(budget: Budget, now: float):
        new, wait = take_slot(budget, now, INTERVAL, bulk=False)
        return new, now + wait

    async def run() -> list[float]:
        own = store()
        try:
            return list(await asyncio.gather(*(own.change(start) for _ in range(count))))
        finally:
            await own.close()

    return asyncio.run(run())


def test_slots_reserved_by_two_processes_at_once_never_overlap(store):
    starts: list[float] = []
    barrier = threading.Barrier(2)

    def process() -> None:
        barrier.wait()
        starts.extend(reserve(store, 20))

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ordered = sorted(starts)
    assert len(ordered) == 40
    gaps = [later - earlier for earlier, later in itertools.pairwise(ordered)]
    assert min(gaps) >= INTERVAL - 1e-6


def test_a_pause_set_by_one_process_holds_back_the_other(store):
    async def run() -> tuple[float, float]:
        first, second = store(), store()
        try:
            await first.change(lambda budget, now: (paused(budget, now + 30), None))
            budget, now = await second.read()
            return budget.paused_until - now, await second.change(
                lambda budget, now: take_slot(budget, now, INTERVAL, bulk=True)
            )
        finally:
            await first.close()
            await second.close()

    remaining, bulk_wait = asyncio.run(run())
    assert 29 < remaining <= 30
    assert 29 < bulk_wait <= 30


def test_the_answer_to_a_button_press_goes_at_once_even_in_a_pause():
    async def run() -> None:
        budget = SharedBudget(LocalStore(), 25)
        await budget.pause(30)
        await asyncio.wait_for(budget.wait_turn("answerCallbackQuery", bulk=False), timeout=1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(budget.wait_turn("editMessageText", bulk=False), timeout=0.2)

    asyncio.run(run())


def test_a_store_that_cannot_be_reached_leaves_the_cap_to_the_process(caplog):
    async def run() -> list[float]:
        budget = SharedBudget(FallbackStore(RedisStore("redis://127.0.0.1:9/0", "test-token")), 25)
        starts = []
        for _ in range(3):
            await budget.wait_turn("sendMessage", bulk=False)
            starts.append(asyncio.get_running_loop().time())
        await budget.pause(0.3)  # a 429 met here still holds this process back
        await budget.wait_turn("sendMessage", bulk=False)
        starts.append(asyncio.get_running_loop().time())
        await budget.close()
        return starts

    starts = asyncio.run(run())
    assert [later - earlier >= INTERVAL - 0.005 for earlier, later in itertools.pairwise(starts[:3])] == [True] * 2
    assert starts[3] - starts[2] >= 0.29
    assert "the shared store failed" in caplog.text
