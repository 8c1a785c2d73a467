from django.contrib import admin

from cityhall.core.admin import ServiceSaveMixin

from . import services
from .models import Closure, OpeningHours, PricedItem, Resource


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 1


class ClosureInline(admin.TabularInline):
    """Closures are added on the staff calendar (`closure_add`), which also closes the slots
    already made and tells the people booked; here they are only listed."""

    model = Closure
    extra = 0
    fields = readonly_fields = ["starts_on", "ends_on", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Resource)
class ResourceAdmin(ServiceSaveMixin, admin.ModelAdmin):
    # Bookings themselves are not in the admin: staff read them on the audited staff pages.
    service = services.resource_save
    argument = "resource"
    list_display = ["name", "kind", "facility", "area", "capacity", "slot_minutes", "audience",
                    "fee_yen", "checkin_required", "is_active"]
    list_filter = ["kind", "audience", "is_active", "checkin_required"]
    search_fields = ["code", "name", "name_en"]
    inlines = [OpeningHoursInline, ClosureInline]
    fieldsets = [
        (None, {"fields": ["code", "kind", "name", "name_en", "description", "description_en",
                           "facility", "area", "department", "is_active", "sort_order"]}),
        ("capacity", {"fields": ["capacity", "slot_minutes", "max_places_per_booking"]}),
        ("rules", {"fields": ["audience", "book_days_ahead", "min_notice_minutes",
                              "max_active_bookings", "cancel_deadline_minutes",
                              "closed_on_public_holidays", "closed_new_year",
                              "waitlist_enabled", "reminder_hours"]}),
        ("fee", {"fields": ["fee_yen", "fee_code", "allow_sticker"]}),
        ("check-in", {"fields": ["checkin_required", "checkin_opens_minutes",
                                 "no_show_after_minutes"]}),
    ]


@admin.register(PricedItem)
class PricedItemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "fee_yen", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_en"]
