"""Admin of the notifications engine (取組12, 17): topics are editable; messages and
deliveries are read-only records (they are written only by the services)."""

from django.contrib import admin

from .models import Delivery, Message, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "area_code", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["key"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "urgent", "source", "fanout_state", "created_at"]
    list_filter = ["urgent", "fanout_state", "source"]
    exclude = ["recipient"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    # No addresses here: the list shows ids, channels and states only.
    list_display = ["message_id", "subscription_id", "channel", "status", "attempts",
                    "last_error"]
    list_filter = ["channel", "status"]
    fields = ["message", "channel", "status", "attempts", "last_error", "provider_id",
              "sent_at", "read_at"]
