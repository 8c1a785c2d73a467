"""Street-problem reports (取組13) in the back office's records administration.

Categories, with their routing by branch office and their questions, are managed here by the
street-reports managers; saving goes through `triage.category_save` (audited). Reports are
listed read-only without the reporter's contact details, within the staff member's scope;
they are read and changed on the audited staff pages, and the one bulk action (acknowledge)
calls the same service as the report page. Open311 clients are listed here and issued or
revoked on their staff page, which shows a new key once."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cityhall.core.admin import ServiceSaveMixin
from cityhall.core.errors import CityhallError

from .models import BranchRouting, Open311Client, Report, ServiceAttribute, ServiceCategory
from .services import triage


class BranchRoutingInline(admin.TabularInline):
    model = BranchRouting
    extra = 0


class ServiceAttributeInline(admin.StackedInline):
    model = ServiceAttribute
    extra = 0


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = triage.category_save
    argument = "category"
    list_display = ["name", "code", "group", "department", "acknowledge_within_hours",
                    "fix_within_days", "open311_type", "is_active", "sort_order"]
    list_filter = ["is_active", "group", "department"]
    search_fields = ["code", "name", "name_en", "keywords"]
    inlines = [BranchRoutingInline, ServiceAttributeInline]

    def get_readonly_fields(self, request, obj=None):
        # The service code is what Open311 clients send: fixed once the category exists.
        return ["code"] if obj is not None else []


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["reference", "category", "status", "department", "branch_office", "town",
                    "created_at", "acknowledged_at", "closed_at", "source", "is_demo"]
    list_filter = ["status", "source", "category", "branch_office", "is_demo"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"
    # The reporter and their contact details are left out: they are read on the audited
    # staff page of the report.
    fields = readonly_fields = [
        "reference", "category", "status", "public_description", "is_public", "address",
        "town", "branch_office", "department", "assigned_to", "duplicate_of", "source",
        "created_at", "updated_at", "acknowledged_at", "closed_at", "expected_at", "is_demo"]
    actions = ["acknowledge"]

    def get_queryset(self, request):
        return triage.reports_for_staff(request.user, triage.QueueFilters(status="all"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return triage.staff_scope(request.user) is not None

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description=_("Acknowledge the selected new reports"),
                  permissions=["triage"])
    def acknowledge(self, request, queryset):
        done, refused = 0, 0
        for report in queryset.filter(status=Report.Status.NEW):
            try:
                triage.report_status_change(report=report, status=Report.Status.ACKNOWLEDGED,
                                            actor=request.user)
            except CityhallError:
                refused += 1
            else:
                done += 1
        self.message_user(request, ngettext("%(count)d report acknowledged.",
                                            "%(count)d reports acknowledged.", done)
                          % {"count": done}, messages.SUCCESS)
        if refused:
            self.message_user(request, _("Some reports could not be acknowledged."),
                              messages.WARNING)

    def has_triage_permission(self, request):
        return request.user.has_perm(triage.TRIAGE)


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "contact_email", "is_active", "created_at",
                    "created_by", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_prefix"]
    fields = readonly_fields = ["name", "contact_email", "key_prefix", "is_active",
                                "created_at", "created_by", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
