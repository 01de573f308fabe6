from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from agency import services, webhooks
from agency.admin_actions import ObjectActionsMixin, declared, requires
from agency.dashboards import Card, Panel, panel
from agency.models import Partner, PartnerAPIKey, WebhookDelivery, WebhookEndpoint
from agency.roles import AGENCY_ADMIN

admin.site.unregister(APIKey)  # partners use PartnerAPIKey, bound to one partner

# Third-party admins whose actions declare no permission: the same admins, with one.
admin.site.unregister(PeriodicTask)
admin.site.unregister(AccessAttempt)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    _base = beat_admin.PeriodicTaskAdmin
    enable_tasks = declared(_base.enable_tasks, "change")
    disable_tasks = declared(_base.disable_tasks, "change")
    toggle_tasks = declared(_base.toggle_tasks, "change")
    run_tasks = declared(_base.run_tasks, "change")


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    cleanup_expired_attempts = declared(
        axes_admin.AccessAttemptAdmin.cleanup_expired_attempts, "delete"
    )


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

    # Creating API keys is the agency admin's: a key reads the partner's data.
    has_create_api_key_permission = requires("agency.add_partnerapikey")

    @admin.action(description="Create an API key (shown once)", permissions=["create_api_key"])
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

    has_revoke_permission = requires("agency.change_partnerapikey")

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            services.partner_api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["event_type", "status", "attempts", "last_status_code", "created_at", "delivered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "partner", "is_active", "created_at"]
    list_filter = ["is_active", "partner__kind"]
    search_fields = ["url", "partner__name"]
    list_select_related = ["partner"]
    readonly_fields = ["secret", "created_at"]
    autocomplete_fields = ["partner"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ObjectActionsMixin, admin.ModelAdmin):
    list_display = [
        "event_type", "endpoint", "status", "attempts", "last_status_code",
        "next_attempt_at", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "endpoint__url", "endpoint__partner__name"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay"]
    object_actions = {"replay": "Replay now"}

    def has_add_permission(self, request) -> bool:
        return False

    has_replay_permission = requires("agency.change_webhookdelivery")

    @admin.action(description="Replay selected deliveries now", permissions=["replay"])
    def replay(self, request, queryset) -> None:
        for delivery in queryset:
            webhooks.webhook_delivery_replay(delivery=delivery)
        self.message_user(
            request, f"Queued {queryset.count()} delivery(ies) again.", messages.SUCCESS
        )


@panel(AGENCY_ADMIN)
def agency_admin_panel(request) -> Panel:
    """The agency admin's landing: partners by kind, usable API keys, webhooks that gave up,
    logins locked out."""
    kinds = dict(Partner.Kind.choices)
    by_kind = (
        Partner.objects.filter(is_active=True).values_list("kind").annotate(n=Count("pk"))
    ).order_by("kind")
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count()
    return Panel(
        title="Agency platform",
        cards=[
            Card(
                "Active partners",
                ", ".join(f"{n} {kinds[k].lower()}" for k, n in by_kind) or "none",
                "brands, sub-agencies, data partners",
                reverse("admin:agency_partner_changelist"),
            ),
            Card("Usable API keys", str(PartnerAPIKey.objects.get_usable_keys().count())),
            Card(
                "Webhook deliveries that gave up",
                str(failed),
                "replay them from their page",
                reverse("admin:agency_webhookdelivery_changelist") + "?status__exact=failed",
            ),
            Card("Login lockouts", str(AccessAttempt.objects.count()), "lift them under Axes"),
        ],
    )
