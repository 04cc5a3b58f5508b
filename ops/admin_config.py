"""Django's admin with PowerBot's site; INSTALLED_APPS names this class in place of
"django.contrib.admin" (a module of its own: it is imported before any model is loaded)."""

from django.contrib.admin.apps import AdminConfig


class PowerBotAdminConfig(AdminConfig):
    default_site = "ops.admin_site.PowerBotAdminSite"
