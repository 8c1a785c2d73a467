"""Admin for alerts: read-only, for looking things up. Alerts are composed, approved and
published on the staff pages, where the services enforce the two-person rule and write the
audit trail; the admin must not bypass them."""

from django.contrib import admin

from ..models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["identifier", "msg_type", "status", "state", "severity", "sent", "expires"]
    list_filter = ["state", "msg_type", "status", "severity"]
    search_fields = ["identifier"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
