"""Back office for the catalogue: staff edit procedures, life events and rules; every save
goes through the services, which validate, keep a revision history and audit."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityhall.core.admin import ReadOnlyAdmin, ServiceSaveMixin

from . import services
from .models import (
    EventRule,
    IntegrationClient,
    LifeEvent,
    Procedure,
    ProcedureRevision,
    WebhookDelivery,
)


class RevisionInline(admin.TabularInline):
    model = ProcedureRevision
    extra = 0
    can_delete = False
    fields = ["number", "changed_at", "changed_by", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RuleInline(admin.TabularInline):
    model = EventRule
    extra = 0
    fields = ["procedure", "step", "condition", "deadline_days", "note_ja", "note_en"]
    autocomplete_fields = ["procedure"]


@admin.register(Procedure)
class ProcedureAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = staticmethod(services.procedure_save)
    argument = "procedure"
    list_display = ["name_ja", "name_en", "department", "deadline_days", "fee_yen",
                    "is_published", "updated_at"]
    list_filter = ["is_published", "department"]
    search_fields = ["name_ja", "name_en", "name_kana", "code"]
    inlines = [RevisionInline]
    fieldsets = (
        (None, {"fields": ("code", "name_ja", "name_en", "name_kana", "department",
                           "is_published")}),
        (_("Description"), {"fields": ("purpose_ja", "purpose_en", "who_ja", "who_en")}),
        (_("Deadline"), {"fields": ("deadline_ja", "deadline_en", "deadline_days",
                                    "deadline_counts_event_day")}),
        (_("Filing"), {"fields": ("documents_ja", "documents_en", "fee_yen", "fee_note_ja",
                                  "fee_note_en", "channels", "where_ja", "where_en",
                                  "processing_time_ja", "processing_time_en",
                                  "form_facts")}),
        (_("Reference"), {"fields": ("legal_basis", "url", "keywords_ja")}),
    )


@admin.register(LifeEvent)
class LifeEventAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = staticmethod(services.life_event_save)
    argument = "life_event"
    list_display = ["name_ja", "name_en", "code", "order", "is_published"]
    inlines = [RuleInline]

    def save_formset(self, request, form, formset, change):
        # Rules go through the service too: validated against the questions and audited.
        for rule in formset.save(commit=False):
            services.event_rule_save(rule=rule, actor=request.user)
        for rule in formset.deleted_objects:
            rule.delete()


@admin.register(EventRule)
class EventRuleAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = staticmethod(services.event_rule_save)
    argument = "rule"
    list_display = ["life_event", "procedure", "step", "deadline_days"]
    list_filter = ["life_event"]
    autocomplete_fields = ["procedure"]


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    """Clients are registered with `manage.py create_integration_client`, which shows the
    token once; here staff switch a client off or change its webhook address."""

    list_display = ["name", "department", "acting_user", "webhook_url", "is_active",
                    "created_at"]
    fields = ["name", "department", "acting_user", "webhook_url", "is_active"]
    readonly_fields = ["name", "department", "acting_user"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "state", "attempts", "last_error", "created_at",
                    "delivered_at"]
    list_filter = ["state", "client"]
    readonly_fields = ["id", "client", "application", "payload", "state", "attempts",
                       "last_error", "created_at", "delivered_at"]
