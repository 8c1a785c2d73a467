"""Nursery admission (取組7) in the back office's records administration: the configuration
that 保育課 keeps — nurseries, points tables with their items and tie-break rules, admission
rounds. Every save goes through the audited services of `services.config`. Applications are
personal data of children and are not listed here: staff read them through
`permissions.access_application` (the staff pages to come)."""

from django.contrib import admin

from cityhall.core.admin import ServiceSaveMixin

from .models import AdmissionRound, Nursery, PointsItem, PointsTable, TieBreakRule
from .services import config


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Nursery)
class NurseryAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = config.nursery_save
    argument = "nursery"
    list_display = ["code", "facility", "kind", "is_active", "sort_order", "is_demo"]
    list_filter = ["kind", "is_active", "is_demo"]
    search_fields = ["code", "facility__name", "facility__name_kana"]
    raw_id_fields = ["facility"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PointsItemInline(ReadOnlyInline):
    model = PointsItem
    fields = readonly_fields = ["kind", "code", "label", "points", "sort_order"]


class TieBreakRuleInline(ReadOnlyInline):
    model = TieBreakRule
    fields = readonly_fields = ["position", "kind", "field", "label"]


@admin.register(PointsTable)
class PointsTableAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = config.points_table_save
    argument = "table"
    list_display = ["name", "valid_from", "is_demo", "updated_at"]
    inlines = [PointsItemInline, TieBreakRuleInline]


@admin.register(PointsItem)
class PointsItemAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = config.points_item_save
    argument = "item"
    list_display = ["code", "label", "kind", "points", "table", "sort_order"]
    list_filter = ["table", "kind"]
    search_fields = ["code", "label"]


@admin.register(TieBreakRule)
class TieBreakRuleAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = config.tie_break_rule_save
    argument = "rule"
    list_display = ["table", "position", "kind", "field", "label"]
    list_filter = ["table"]


@admin.register(AdmissionRound)
class AdmissionRoundAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = config.round_save
    argument = "round"
    list_display = ["name", "admission_date", "state", "points_table", "is_demo",
                    "created_at"]
    list_filter = ["state", "is_demo"]
    fields = ["name", "admission_date", "points_table", "lottery_seed",
              "applications_open_from", "applications_close_at", "state", "is_demo",
              "letter_contact", "published_at"]
    readonly_fields = ["state", "is_demo", "published_at"]


# -- infant health checkups (取組23): the kinds and their periods, saved through the audited
# service. Staff of the health centre keep them; the sessions are the bookings engine's.
from .models import CheckupKind  # noqa: E402
from .services import checkups as checkup_services  # noqa: E402


@admin.register(CheckupKind)
class CheckupKindAdmin(NoDeleteMixin, ServiceSaveMixin, admin.ModelAdmin):
    service = checkup_services.checkup_kind_save
    argument = "kind"
    list_display = ["code", "name", "from_months", "until_months", "delivery",
                    "resource_code", "confirmed", "is_active", "sort_order"]
    list_filter = ["delivery", "confirmed", "is_active"]
    search_fields = ["code", "name", "name_en"]
