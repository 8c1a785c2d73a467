"""The FAQ in the Django admin (取組6, 8): categories only; entries, synonyms and questions are
edited in the FAQ back office (/faq/staff/), whose services keep the history and the index in
step. Question logs are not registered: they are read through the learning-loop dashboard."""

from django.contrib import admin

from .models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "sort_order"]
