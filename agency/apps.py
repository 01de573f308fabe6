from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = "Agency platform"

    def ready(self) -> None:
        # API keys get a new stamp whenever they or their partner change, in every process
        # (web, workers, commands), so API processes that know a key look it up again.
        from agency.api import authentication  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the project's admin site (agency.admin_site) as
    ``admin.site``, so every ``@admin.register`` lands on the site that enforces the
    second factor."""

    default = False  # named in INSTALLED_APPS; AgencyConfig stays this module's default
    default_site = "agency.admin_site.StaffAdminSite"
