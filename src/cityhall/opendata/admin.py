"""The catalogue's publishing organizations and themes in the back office's records
administration (取組27). Datasets and files have their own staff pages (/opendata/staff/);
here the open data officers keep the organizations' and themes' names and descriptions. Every
save goes through an audited service; nothing is deleted (datasets point at them)."""

from django.contrib import admin

from cityhall.core.admin import ServiceSaveMixin

from . import services
from .models import Group, Organization


class CatalogueAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["name", "title", "title_en"]
    search_fields = ["name", "title", "title_en"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(CatalogueAdmin):
    service = services.organization_save
    argument = "organization"
    fields = ["name", "title", "title_en", "description", "description_en", "department",
              "email"]
    raw_id_fields = ["department"]


@admin.register(Group)
class GroupAdmin(CatalogueAdmin):
    service = services.group_save
    argument = "group"
    fields = ["name", "title", "title_en", "description", "description_en"]
