"""Admin for shelters (取組12): read-only lists of the live status, its history and the
assignments. Every change goes through the staff pages, whose services write the history row,
the audit event and the cache version together; the admin only shows what happened."""

from django.contrib import admin

from cityhall.core.admin import ReadOnlyAdmin

from ..models.shelters import ShelterAssignment, ShelterStatus, ShelterStatusChange


@admin.register(ShelterStatus)
class ShelterStatusAdmin(ReadOnlyAdmin):
    list_display = ["facility", "is_open", "crowding", "head_count", "capacity",
                    "capacity_is_demo", "updated_at", "updated_by"]
    list_filter = ["is_open", "crowding", "facility__kind", "facility__branch_office"]
    search_fields = ["facility__code", "facility__name", "facility__address"]
    list_select_related = ["facility", "updated_by"]


@admin.register(ShelterStatusChange)
class ShelterStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "facility", "event", "is_open", "crowding", "head_count",
                    "actor"]
    list_filter = ["event", "crowding"]
    search_fields = ["facility__code", "facility__name"]
    date_hierarchy = "changed_at"
    list_select_related = ["facility", "actor"]


@admin.register(ShelterAssignment)
class ShelterAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["facility", "staff", "assigned_at", "assigned_by", "is_demo"]
    search_fields = ["facility__code", "facility__name", "staff__email"]
    list_select_related = ["facility", "staff", "assigned_by"]
