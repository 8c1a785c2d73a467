"""The feedback app in the Django admin (取組11): the topic list, saved through `topic_save`;
the Q&A entries read-only with actions that publish or withdraw through the services.
Opinions hold personal data and are deliberately not registered: staff read them through
`permissions.access_opinion`, which audits the read."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from cityhall.core.admin import ReadOnlyAdmin, ServiceSaveMixin
from cityhall.core.errors import CityhallError

from . import services
from .models import QAEntry, Topic


@admin.register(Topic)
class TopicAdmin(ServiceSaveMixin, admin.ModelAdmin):
    service = services.topic_save
    argument = "topic"
    list_display = ["code", "name", "name_en", "order", "active"]
    list_editable = []
    fields = ["code", "name", "name_en", "order", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # opinions refer to their topic: switch it off instead


@admin.register(QAEntry)
class QAEntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "topic", "department", "status", "published_on"]
    list_filter = ["status", "topic"]
    fields = ["topic", "department", "question", "answer", "status", "published_on"]
    actions = ["publish", "withdraw"]

    def _run(self, request, queryset, service, done):
        count = 0
        for entry in queryset:
            try:
                service(entry=entry, actor=request.user)
                count += 1
            except CityhallError as error:
                self.message_user(request, f"{entry}: {error.message}", messages.ERROR)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected entries"), permissions=["publish"])
    def publish(self, request, queryset):
        self._run(request, queryset, services.qa_publish, _("%(count)s entries published."))

    @admin.action(description=_("Withdraw the selected entries"), permissions=["publish"])
    def withdraw(self, request, queryset):
        self._run(request, queryset, services.qa_withdraw, _("%(count)s entries withdrawn."))

    def has_publish_permission(self, request):
        return request.user.has_perm("feedback.publish_qa")
