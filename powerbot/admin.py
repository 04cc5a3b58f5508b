"""Admin pieces shared by several apps."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import model_format_dict
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from powerbot.apikeys import ApiKey, ApiKeyQuerySet
from powerbot.models import SourceHealth

M = TypeVar("M", bound=Model)


class LoggedActions(admin.ModelAdmin[M]):
    """Every action an operator runs from a list (freeze, release, resume, pull...) lands in
    Django's admin log with the operator and the time, as its forms' changes do; the "Now"
    page lists them. Logged once it has run: not for a confirmation page it answers first, and
    not for a deletion, which Django logs itself."""

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        chosen = request.POST.get("action", "")
        if request.POST.get("select_across") == "1":
            objects = list(queryset)
        else:
            objects = list(queryset.filter(pk__in=request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))
        response = super().response_action(request, queryset, *args, **kwargs)
        action = self.get_actions(request).get(chosen)
        done = isinstance(response, HttpResponseRedirect)  # not a confirmation page
        if objects and action is not None and chosen != "delete_selected" and done:
            description = str(action[2]) % model_format_dict(self.model)
            user = cast(int, request.user.pk)  # the admin's views are for logged-in staff only
            LogEntry.objects.log_actions(user, objects, CHANGE, change_message=f"Action: {description}")
        return response


class RecordAdmin(LoggedActions[Any]):
    """Records the application keeps (history, holds, the outbox): listed and filtered,
    never edited or deleted by hand. `can_add` lets "add" stand for an operator's action;
    `can_delete` lets rows go with what they belong to (a subscriber's messages)."""

    can_add = False
    can_delete = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.can_add and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.can_delete and super().has_delete_permission(request, obj)


class ApiKeyAdmin(LoggedActions[Any]):
    """Keys are generated here, shown once, and revoked rather than edited."""

    list_display = ["name", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(boolean=True, description="active")
    def is_active(self, key: ApiKey) -> bool:
        return key.is_active

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if not change:
            # For response_add, answering this same request; nowhere else.
            request.new_api_key = obj.set_new_key()  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> HttpResponse:
        # The key is shown in this one response only: not in a message, which would carry
        # it in a cookie or the session table.
        response = TemplateResponse(
            request,
            "admin/apikey_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Copy the new key",
                "key": obj,
                "raw_key": request.new_api_key,  # type: ignore[attr-defined]  # set by save_model
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: ApiKeyQuerySet) -> None:
        for key in queryset.active():
            key.revoke()
        self.message_user(request, "Revoked; they stop working at once.", messages.SUCCESS)


@admin.register(SourceHealth)
class SourceHealthAdmin(RecordAdmin):
    """Outside sources (schedules, alerts): when each last answered well, and why not since."""

    list_display = ["source", "last_success_at", "last_attempt_at", "failures", "backoff_until", "last_error"]
