"""The staff back office (Django admin, in Japanese).

Resident profiles are deliberately not registered here: staff read them only through
`permissions.access_resident_profile` (the staff resident pages), which audits every read.
The audit log is read-only for everyone, superusers included.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .background import task_failure_retry
from .errors import CityhallError
from .models import (
    AuditEvent,
    BranchOffice,
    Department,
    Facility,
    Municipality,
    StaffProfile,
    TaskFailure,
    Town,
    User,
    WorkerHeartbeat,
)

admin.site.site_header = _("cityhall back office")
admin.site.site_title = _("cityhall back office")
admin.site.index_title = _("Back office")


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "is_demo", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_demo", "groups"]
    search_fields = ["email"]
    inlines = [StaffProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        (_("Demo"), {"fields": ("is_demo",)}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "password1", "password2", "is_staff")}),)
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        # Staff accounts only, for superusers too: residents' accounts are personal data,
        # reached only through the audited resident pages.
        return super().get_queryset(request).filter(is_staff=True)


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "prefecture"]


@admin.register(BranchOffice)
class BranchOfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "is_main_office", "address"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "branch_office"]


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ["label", "name_kana", "branch_office"]
    list_filter = ["branch_office"]
    search_fields = ["name", "name_kana"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "branch_office", "address", "is_demo"]
    list_filter = ["kind", "branch_office", "is_demo"]
    search_fields = ["name", "name_kana", "address", "code"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody edits in the back office: the audit log, provider events,
    deliveries. They are written by services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "action", "target_type",
                    "target_id", "purpose"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "action", "target_id", "purpose", "request_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["task_path", "failed_at", "attempts", "error_class", "resolved_at"]
    list_filter = ["resolved_at", "task_path"]
    readonly_fields = ["task_path", "arguments", "attempts", "error_class", "error_message",
                       "failed_at", "resolved_at"]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Run the selected tasks again"),
                  permissions=["retry"])
    def retry(self, request, queryset):
        count = 0
        for failure in queryset.filter(resolved_at__isnull=True):
            task_failure_retry(failure=failure, actor=request.user)
            count += 1
        self.message_user(request, _("%(count)d task(s) queued again.") % {"count": count},
                          messages.SUCCESS)

    def has_retry_permission(self, request):
        return request.user.has_perm("core.retry_taskfailure")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "last_seen"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Apps' admins save through their services (validation, history, audit in one place).
class ServiceSaveMixin:
    service = None
    argument = None

    def save_model(self, request, obj, form, change):
        type(self).service(**{self.argument: obj, "actor": request.user})

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except CityhallError as error:
            # The service refused the save (and changed nothing): say why and show the page
            # again, without posting the same data a second time.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
