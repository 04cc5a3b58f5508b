from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import NotificationPause
from notifications.services import AlreadyPaused, pause_notifications, resume_notifications


class PauseForm(forms.ModelForm):
    class Meta:
        model = NotificationPause
        fields = ["reason"]

    def clean(self) -> dict:
        if NotificationPause.objects.filter(open=True).exists():
            raise forms.ValidationError("Notifications are already paused.")
        return super().clean()


@admin.register(NotificationPause)
class NotificationPauseAdmin(admin.ModelAdmin):
    """The global switch: "add" pauses power notifications, the action resumes them."""

    list_display = ["started_at", "started_by", "reason", "ended_at", "ended_by", "open"]
    list_filter = ["open"]
    form = PauseForm
    actions = ["resume"]

    def has_change_permission(self, request: HttpRequest, obj: NotificationPause | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: NotificationPause | None = None) -> bool:
        return False

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
