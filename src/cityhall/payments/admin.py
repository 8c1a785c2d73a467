"""Back office for the fee schedule (edited through the service, audited) and read-only
views of payments, refunds and provider events for audit."""

from django.contrib import admin

from cityhall.core.admin import ReadOnlyAdmin, ServiceSaveMixin

from . import services
from .models import Fee, Payment, ProviderEvent, Refund


@admin.register(Fee)
class FeeAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = staticmethod(services.fee_save)
    argument = "fee"
    list_display = ["name_ja", "amount_yen", "category", "department", "is_active"]
    list_filter = ["category", "is_active", "department"]
    search_fields = ["name_ja", "name_en", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # payments refer to fees; switch a fee off instead


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "purpose_label", "amount_yen", "status", "provider",
                    "captured_at"]
    list_filter = ["status", "provider", "department"]
    search_fields = ["reference", "provider_reference"]
    exclude = ["payer", "payer_name"]  # who paid is read on the audited staff page


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount_yen", "status", "created_at", "completed_at"]
    list_filter = ["status"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["provider", "event_id", "type", "received_at", "result"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id"]
