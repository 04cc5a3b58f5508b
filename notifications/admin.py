from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html

from notifications import outbox, services
from notifications.models import Broadcast, Message, NotificationPause, Subscriber, Subscription
from notifications.services import (
    AlreadyPaused,
    notifications_paused,
    pause_notifications,
    resume_notifications,
)
from notifications.tasks import deliver, queue_broadcast
from powerbot.admin import LoggedActions, RecordAdmin
from powerbot.queueing import after_commit


class PauseForm(forms.ModelForm[NotificationPause]):
    class Meta:
        model = NotificationPause
        fields = ["reason"]

    def clean(self) -> dict[str, Any]:
        if notifications_paused():
            raise forms.ValidationError("Notifications are already paused.")
        super().clean()
        return self.cleaned_data


@admin.register(NotificationPause)
class NotificationPauseAdmin(RecordAdmin):
    """The global switch: "add" pauses power notifications, the action resumes them."""

    list_display = ["started_at", "started_by", "reason", "ended_at", "ended_by", "open"]
    list_filter = ["open"]
    form = PauseForm
    actions = ["resume"]
    can_add = True

    def save_model(self, request: HttpRequest, obj: NotificationPause, form: forms.Form, change: bool) -> None:
        try:
            pause = pause_notifications(obj.reason, by=request.user.get_username())
        except AlreadyPaused as exc:  # paused by someone else since the form was checked
            self.message_user(request, str(exc), messages.WARNING)
            pause = NotificationPause.objects.get(open=True)
        obj.pk, obj.started_at, obj.started_by = pause.pk, pause.started_at, pause.started_by

    @admin.action(description="Resume power notifications")
    def resume(self, request: HttpRequest, queryset: QuerySet[NotificationPause]) -> None:
        if resume_notifications(by=request.user.get_username()):
            self.message_user(request, "Power notifications resumed.", messages.SUCCESS)
        else:
            self.message_user(request, "Notifications were not paused.", messages.WARNING)


class SubscriptionInline(admin.TabularInline[Subscription, Subscriber]):
    model = Subscription
    extra = 0


@admin.register(Subscriber)
class SubscriberAdmin(LoggedActions[Subscriber]):
    list_display = [
        "chat_id",
        "name",
        "language",
        "active",
        "broadcasts",
        "quiet_start",
        "quiet_end",
        "deactivated_reason",
        "created_at",
    ]
    list_filter = ["active", "language", "broadcasts", "hold_in_quiet_hours"]
    search_fields = ["=chat_id", "name", "deactivated_reason"]
    inlines = [SubscriptionInline]
    actions = ["deactivate"]

    @admin.action(description="Deactivate (they get nothing more)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = services.deactivate(queryset, f"deactivated by {request.user.get_username()}")
        self.message_user(request, f"Deactivated {count} subscriber(s).", messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(LoggedActions[Subscription]):
    list_display = ["subscriber", "section", "power"]
    list_filter = ["power", "section__building"]
    list_select_related = ["subscriber", "section__building"]
    search_fields = ["=subscriber__chat_id", "subscriber__name", "section__building__name"]


@admin.register(Message)
class MessageAdmin(RecordAdmin):
    """The outbox, read-only; failed messages can be queued again."""

    list_display = [
        "id",
        "kind",
        "subscriber",
        "event",
        "broadcast",
        "state",
        "attempts",
        "not_before",
        "sent_at",
        "silent",
        "error",
    ]
    list_filter = ["state", "kind", "silent"]
    list_select_related = ["subscriber", "event__section__building", "broadcast"]
    search_fields = ["=subscriber__chat_id", "subscriber__name", "error"]
    actions = ["requeue"]
    can_delete = True

    @admin.action(description="Queue failed messages again")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = outbox.requeue(queryset)
        after_commit(deliver)  # with the broker down, beat's sender takes them later
        self.message_user(request, f"Queued {count} message(s) again.", messages.SUCCESS)


@admin.register(Broadcast)
class BroadcastAdmin(LoggedActions[Broadcast]):
    """Write, choose the audience, save to preview, then "Send now"; progress shows while it runs."""

    change_form_template = "admin/notifications/broadcast/change_form.html"
    list_display = ["__str__", "building", "section", "created_by", "created_at", "queued_at", "progress"]
    list_select_related = ["building", "section__building"]  # both may be empty: named, or Django skips them
    autocomplete_fields = ["building"]
    readonly_fields = ["preview", "audience", "progress", "created_by", "queued_at"]

    def get_fields(self, request: HttpRequest, obj: Broadcast | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("text", "building", "section")
        return (
            ("preview", "audience", "progress", "created_by", "queued_at")
            if obj.queued_at
            else ("text", "building", "section", "preview", "audience")
        )

    def has_delete_permission(self, request: HttpRequest, obj: Broadcast | None = None) -> bool:
        # Drafts only, and only for those allowed to delete broadcasts at all.
        return super().has_delete_permission(request, obj) and (obj is None or obj.queued_at is None)

    def save_model(self, request: HttpRequest, obj: Broadcast, form: forms.Form, change: bool) -> None:
        obj.created_by = obj.created_by or request.user.get_username()
        super().save_model(request, obj, form, change)

    @admin.display(description="as subscribers will read it")
    def preview(self, broadcast: Broadcast) -> str:
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 40em; padding: .5em; '
            'border: 1px solid #ccc; border-radius: 6px">{}</div>',
            broadcast.text,
        )

    @admin.display(description="audience")
    def audience(self, broadcast: Broadcast) -> str:
        where = broadcast.section or broadcast.building or "everyone"
        return f"{outbox.broadcast_audience(broadcast).count()} subscriber(s): {where}"

    @admin.display(description="progress")
    def progress(self, broadcast: Broadcast) -> str:
        if broadcast.queued_at is None:
            return "draft"
        counts = outbox.broadcast_progress(broadcast)
        return " · ".join(f"{label} {counts[state]}" for state, label in Message.State.choices)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Broadcast | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.queued_at is not None:
            counts = outbox.broadcast_progress(obj)
            context["in_progress"] = counts[Message.State.PENDING] + counts[Message.State.SENDING] > 0
        context["can_send"] = obj is not None and obj.queued_at is None
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request: HttpRequest, obj: Broadcast) -> HttpResponse:
        if "_send" in request.POST:
            if outbox.send_broadcast(obj):
                # With the broker down, the sweep queues its messages once it is back.
                after_commit(queue_broadcast, obj.pk)
                count = outbox.broadcast_audience(obj).count()
                self.message_user(request, f"Sending to {count} subscriber(s).", messages.SUCCESS)
            else:
                self.message_user(request, "This broadcast was sent already.", messages.WARNING)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
