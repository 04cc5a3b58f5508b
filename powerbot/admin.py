"""Admin pieces shared by several apps."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from powerbot.apikeys import ApiKey


class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are generated here, shown once, and revoked rather than edited."""

    list_display = ["name", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(boolean=True, description="active")
    def is_active(self, key: ApiKey) -> bool:
        return key.is_active

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        raw = None if change else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if raw is not None:
            self.message_user(
                request, f"New key for “{obj.name}”: {raw} — copy it now, it is not stored and will not be shown again.",
                messages.WARNING,
            )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.active():
            key.revoke()
        self.message_user(request, "Revoked; they stop working at once.", messages.SUCCESS)
