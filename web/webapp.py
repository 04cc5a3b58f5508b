"""The Telegram Mini App's API: a resident's own view and settings, for whoever Telegram's
initData says opened it. Settings change through the same notifications services as the
bot's buttons, so a change in one shows at once in the other."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services as alerts
from buildings.models import MAX_BUILDING_ID, MAX_SECTIONS, Building, Section
from notifications import services
from notifications.models import Subscriber
from notifications.texts import section_name
from powerbot.api import ERROR, JSONAPIView, JSONObjectParser, ServiceUnavailable
from schedules.services import section_plans
from sensors.power import recorded_section_statuses
from web import initdata, presenting, status

HEADER = "X-Telegram-Init-Data"


class InitDataAuthentication(BaseAuthentication):
    """The resident Telegram's initData (in X-Telegram-Init-Data) names, as their chat's
    subscriber; a missing, forged or expired one is 401."""

    def authenticate(self, request: Request) -> tuple[Subscriber, initdata.TelegramUser]:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise ServiceUnavailable("The Mini App needs TELEGRAM_BOT_TOKEN on the server.")
        try:
            user = initdata.verified_user(
                request.headers.get(HEADER, ""),
                settings.TELEGRAM_BOT_TOKEN,
                settings.WEBAPP_INITDATA_MAX_AGE_SEC,
                time.time(),
            )
        except initdata.InitDataRefused as refused:
            raise AuthenticationFailed(str(refused)) from None
        # A private chat's id is its user's: the same subscriber the bot serves.
        return services.chat_subscriber(user.id, user.name, user.language_code), user

    def authenticate_header(self, request: Request) -> str:
        return 'TelegramInitData realm="webapp"'


class IsResident(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, Subscriber)


class InitDataScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's hook
    target_class = InitDataAuthentication
    name = "telegramInitData"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "Telegram.WebApp.initData, as Telegram gave it to the Mini App.",
        }


class ResidentView(JSONAPIView):
    authentication_classes = [InitDataAuthentication]
    permission_classes = [IsResident]
    parser_classes = [JSONObjectParser]

    def resident(self, request: Request) -> Subscriber:
        assert isinstance(request.user, Subscriber)  # IsResident let it through
        return request.user

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # The resident's language, not the browser's: refusals and errors are theirs to read.
        translation.activate(self.resident(request).language)


AUTH_ERRORS = {401: ERROR, 503: ERROR}
ANY = inline_serializer("WebAppAny", {})


def resident_document(subscriber: Subscriber) -> dict[str, Any]:
    """The resident's settings and followed sections with their state, plans and alert, in
    the resident's language (the `text` fields)."""
    subscriptions = services.followed(subscriber)
    sections = [subscription.section for subscription in subscriptions]
    now = timezone.now()
    plans = section_plans(sections, now)
    buildings = {section.building for section in sections}
    alert_states = alerts.states_of(buildings) if alerts.watching() else {}
    statuses = {status.section.pk: status for status in recorded_section_statuses(sections, now)}
    with translation.override(subscriber.language):
        words = presenting.state_words()
        followed = []
        for subscription in subscriptions:
            section = subscription.section
            state, plan = statuses[section.pk], plans.get(section.pk)
            alert = alert_states.get(section.building_id)
            followed.append(
                {
                    "building": {
                        "id": section.building_id,
                        "name": section.building.name,
                        "timezone": str(section.building.tz),
                    },
                    "number": section.number,
                    "name": section_name(section),
                    "power_notifications": subscription.power,
                    "state": state.state,
                    "state_text": words[state.state],
                    "since": status.iso(state.since),
                    "planned": None
                    if plan is None
                    else [
                        {
                            **shown,
                            "text": presenting.day_text(day),
                        }
                        for shown, day in zip(status.planned_document(plan) or [], plan.days, strict=True)
                    ],
                    "alert": None
                    if alert is None
                    else {
                        **status.alert_document(alert),
                        "text": presenting.alert_text(alert, section.building.tz, now),
                    },
                }
            )
    return {
        "chat_id": subscriber.chat_id,
        "name": subscriber.name,
        "active": subscriber.active,  # False: they blocked the bot, or an operator stopped them
        "language": subscriber.language,
        **{preference: getattr(subscriber, preference) for preference in services.TOGGLES},
        "quiet_hours": None
        if subscriber.quiet_start is None or subscriber.quiet_end is None
        else {"start": subscriber.quiet_start.strftime("%H:%M"), "end": subscriber.quiet_end.strftime("%H:%M")},
        "schedule_reminder": subscriber.schedule_reminder,
        "reminder_choices": [minutes for minutes in services.REMINDER_CHOICES if minutes is not None],
        "sections": followed,
    }


class QuietHours(serializers.Serializer[Any]):
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] == attrs["end"]:
            raise ValidationError(_("Quiet hours need a start and an end that differ."))
        return attrs


class SettingsChange(serializers.Serializer[Any]):
    """Any of the resident's settings; a name that is not one is refused, not ignored."""

    language = serializers.ChoiceField(choices=[code for code, _ in settings.LANGUAGES], required=False)
    broadcasts = serializers.BooleanField(required=False)
    hold_in_quiet_hours = serializers.BooleanField(required=False)
    schedule_notices = serializers.BooleanField(required=False)
    alert_notices = serializers.BooleanField(required=False)
    quiet_hours = QuietHours(required=False, allow_null=True)
    schedule_reminder = serializers.ChoiceField(
        choices=[minutes for minutes in services.REMINDER_CHOICES if minutes is not None],
        required=False,
        allow_null=True,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise ValidationError(_("Not a setting: %(names)s.") % {"names": ", ".join(unknown)})
        if not self.initial_data:
            raise ValidationError(_("Nothing to change."))
        return attrs


def change_settings(subscriber: Subscriber, change: dict[str, Any]) -> None:
    with transaction.atomic():
        for preference in services.TOGGLES:
            if preference in change:
                services.set_preference(subscriber, preference, change[preference])
        if "language" in change:
            services.set_language(subscriber, change["language"])
        if "quiet_hours" in change:
            hours = change["quiet_hours"]
            services.set_quiet_hours(subscriber, *((hours["start"], hours["end"]) if hours else (None, None)))
        if "schedule_reminder" in change:
            services.set_reminder(subscriber, change["schedule_reminder"])


class MeView(ResidentView):
    @extend_schema(responses={200: ANY, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        """The resident's settings, and the sections they follow with their state."""
        return Response(resident_document(self.resident(request)))

    @extend_schema(request=SettingsChange, responses={200: ANY, 400: ERROR, **AUTH_ERRORS})
    def patch(self, request: Request) -> Response:
        """Change any of the settings; the answer is the resident's document as it now is."""
        change = SettingsChange(data=request.data)
        change.is_valid(raise_exception=True)
        subscriber = self.resident(request)
        change_settings(subscriber, change.validated_data)
        return Response(resident_document(subscriber))


class BuildingsView(ResidentView):
    @extend_schema(responses={200: ANY, **AUTH_ERRORS})
    def get(self, request: Request) -> Response:
        """Every building and its sections, to choose one to follow (as the bot offers them)."""
        with translation.override(self.resident(request).language):
            listing = [
                {
                    "id": building.pk,
                    "name": building.name,
                    "address": building.address,
                    "sections": [
                        {"number": section.number, "name": section_name(section)} for section in building.sections.all()
                    ],
                }
                for building in Building.objects.prefetch_related("sections").order_by("name", "id")
            ]
        return Response(listing)


class FollowedSectionView(ResidentView):
    """One section of one building, as the resident follows it."""

    def section(self, building_id: str, number: str) -> Section:
        building, section = int(building_id), int(number)
        found = (
            Section.objects.filter(building_id=building, number=section).select_related("building").first()
            if 1 <= building <= MAX_BUILDING_ID and 1 <= section <= MAX_SECTIONS
            else None
        )
        if found is None:
            raise NotFound(_("No such building or section."))
        return found

    @extend_schema(request=None, responses={200: ANY, 201: ANY, 404: ERROR, **AUTH_ERRORS})
    def put(self, request: Request, building_id: str, number: str) -> Response:
        """Follow the section (again: its power notifications are switched back on)."""
        resident = self.resident(request)
        created = services.follow(resident, self.section(building_id, number))
        return Response(resident_document(resident), status=201 if created else 200)

    @extend_schema(
        request=inline_serializer("PowerNotifications", {"power_notifications": serializers.BooleanField()}),
        responses={200: ANY, 400: ERROR, 404: ERROR, **AUTH_ERRORS},
    )
    def patch(self, request: Request, building_id: str, number: str) -> Response:
        """Power notifications of a followed section on or off."""
        body = request.data if isinstance(request.data, dict) else {}  # JSONObjectParser: always an object
        on = body.get("power_notifications")
        if not isinstance(on, bool) or set(body) != {"power_notifications"}:
            raise ValidationError(_('Send {"power_notifications": true} or false.'))
        resident = self.resident(request)
        if services.set_power(resident, self.section(building_id, number).pk, on) is None:
            raise NotFound(_("You do not follow this section."))
        return Response(resident_document(resident))

    @extend_schema(request=None, responses={200: ANY, 404: ERROR, **AUTH_ERRORS})
    def delete(self, request: Request, building_id: str, number: str) -> Response:
        """Stop following the section (a second tap finds it already so: the same answer)."""
        resident = self.resident(request)
        services.unfollow(resident, self.section(building_id, number).pk)
        return Response(resident_document(resident))
