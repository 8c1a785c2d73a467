"""Template helpers of the FAQ pages and the chat widget (取組6, 8, 19)."""

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..markup import clean_html

register = template.Library()


@register.filter
def question(entry, language):
    return entry.question(entry.shown_language(language))


@register.filter
def answer_html(entry, language):
    """The answer, cleaned again on display (the stored HTML was cleaned on save)."""
    return mark_safe(clean_html(entry.answer(entry.shown_language(language))))  # noqa: S308


@register.filter
def shown_lang(entry, language):
    return entry.shown_language(language)


@register.filter
def category_name(category, language):
    return category.name_en if language == "en" and category.name_en else category.name


@register.simple_tag(takes_context=True)
def faq_widget(context):
    """What the widget needs, or None where it must not show (the FAQ pages themselves)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.app_name == "faq":
        return None
    language = "en" if (get_language() or "ja").startswith("en") else "ja"
    key = f"faq:widget-suggestions:{language}"
    suggestions = cache.get(key)
    if suggestions is None:
        from ..selectors import suggested_entries

        suggestions = [(entry.question(entry.shown_language(language)),
                        entry.shown_language(language))
                       for entry in suggested_entries(language, limit=3)]
        cache.set(key, suggestions, timeout=300)
    return {"language": language, "suggestions": suggestions}
