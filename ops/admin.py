from django.contrib import admin

from ops.models import OperatorAlert
from powerbot.admin import RecordAdmin


@admin.register(OperatorAlert)
class OperatorAlertAdmin(RecordAdmin):
    """What operators were told in Telegram (ops.alerts), and when each trouble ended."""

    list_display = ["kind", "subject", "opened_at", "closed_at"]
    list_filter = ["closed_at", "kind"]  # "No date": still open
