from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from agency import services
from agency.models import Partner, PartnerAPIKey

admin.site.unregister(APIKey)  # partners use PartnerAPIKey, bound to one partner


class PartnerAPIKeyInline(admin.TabularInline):
    model = PartnerAPIKey
    fields = ["prefix", "name", "created", "expiry_date", "revoked"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # keys are created by the action, which shows the key once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [PartnerAPIKeyInline]
    actions = ["create_api_key"]

    @admin.action(description="Create an API key (shown once)")
    def create_api_key(self, request, queryset) -> None:
        for partner in queryset:
            _, key = services.partner_api_key_create(partner=partner, name=f"{partner.name} key")
            self.message_user(
                request,
                f"API key for {partner.name}: {key} — store it now, it will not be shown again.",
                messages.WARNING,
            )


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "partner"]
    list_filter = ["partner__kind", "revoked", "created"]
    search_fields = ["name", "prefix", "partner__name"]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            services.partner_api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
