from django.contrib import admin

from powerbot.admin import ApiKeyAdmin
from publicapi.models import ReadKey

admin.site.register(ReadKey, ApiKeyAdmin)
