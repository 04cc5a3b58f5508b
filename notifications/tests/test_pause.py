"""The global switch that pauses power notifications, and its record."""

from __future__ import annotations

import pytest

from notifications.models import NotificationPause
from notifications.services import AlreadyPaused, notifications_paused, pause_notifications, resume_notifications

pytestmark = pytest.mark.django_db


def test_pausing_and_resuming_is_recorded_with_who_and_why():
    assert not notifications_paused()
    pause_notifications("false alarms from the new boards", by="alice")
    assert notifications_paused()
    assert resume_notifications(by="bob")
    assert not notifications_paused()
    pause = NotificationPause.objects.get()
    assert (pause.reason, pause.started_by, pause.ended_by, pause.open) == (
        "false alarms from the new boards",
        "alice",
        "bob",
        False,
    )
    assert pause.ended_at is not None and pause.ended_at >= pause.started_at


def test_notifications_cannot_be_paused_twice():
    pause_notifications("first", by="alice")
    with pytest.raises(AlreadyPaused):
        pause_notifications("second", by="bob")
    assert NotificationPause.objects.count() == 1


def test_resuming_when_not_paused_says_so():
    assert resume_notifications(by="alice") is False


def test_the_admin_pauses_and_resumes(admin_client, admin_user):
    admin_client.post("/admin/notifications/notificationpause/add/", {"reason": "storm night"})
    assert notifications_paused()
    again = admin_client.post("/admin/notifications/notificationpause/add/", {"reason": "again"})
    assert again.context["adminform"].form.non_field_errors() == ["Notifications are already paused."]
    pause = NotificationPause.objects.get()
    assert pause.started_by == admin_user.username
    admin_client.post("/admin/notifications/notificationpause/", {"action": "resume", "_selected_action": [pause.pk]})
    assert not notifications_paused()
