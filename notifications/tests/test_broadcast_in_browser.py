"""The broadcast's "Send now" in a real browser: it asks first, and only a yes queues it (the
question is a script of its own: the Content-Security-Policy refuses inline handlers)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from notifications.models import Broadcast

pytestmark = pytest.mark.django_db(transaction=True)


def press_send_now(browser, live_server, draft: Broadcast) -> str:
    """Press "Send now" on the draft's page; the question the browser asked."""
    browser.get(f"{live_server.url}/admin/notifications/broadcast/{draft.pk}/change/")
    browser.find_element(By.NAME, "_send").click()
    question = WebDriverWait(browser, 10).until(expected_conditions.alert_is_present())
    return str(question.text)


def test_send_now_asks_first_and_a_no_sends_nothing(live_server, admin_browser):
    draft = Broadcast.objects.create(text="Water off tomorrow 10:00-12:00")
    assert press_send_now(admin_browser, live_server, draft) == "Send this message now? It cannot be taken back."
    admin_browser.switch_to.alert.dismiss()
    draft.refresh_from_db()
    assert draft.queued_at is None
    assert admin_browser.find_elements(By.NAME, "_send")  # still the draft's form


def test_a_yes_queues_the_broadcast(live_server, admin_browser):
    draft = Broadcast.objects.create(text="Water off tomorrow 10:00-12:00")
    press_send_now(admin_browser, live_server, draft)
    admin_browser.switch_to.alert.accept()
    WebDriverWait(admin_browser, 10).until(lambda browser: browser.find_elements(By.CLASS_NAME, "messagelist"))
    draft.refresh_from_db()
    assert draft.queued_at is not None
