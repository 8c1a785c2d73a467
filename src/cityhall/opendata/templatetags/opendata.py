"""Template helpers of the catalogue pages (取組27). Load with `{% load opendata %}`.

Catalogue rows keep Japanese in `title`/`notes` and English in `title_en`/`notes_en`: on a page
in a language other than Japanese the English text is shown when it exists, otherwise the
Japanese one, marked `lang="ja"` so that screen readers read it in Japanese."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from ..licences import LICENCES, licence_title

register = template.Library()


def _english_of(obj, field: str) -> str:
    if (get_language() or "ja").startswith("ja"):
        return ""
    return getattr(obj, f"{field}_en", "") or ""


@register.filter
def local(obj, field: str = "title"):
    """The text in the page's language (HTML-safe, with lang="ja" where needed)."""
    english = _english_of(obj, field)
    if english:
        return english
    text = getattr(obj, field, "") or ""
    if text and not (get_language() or "ja").startswith("ja"):
        return format_html('<span lang="ja">{}</span>', text)
    return text


@register.filter
def local_plain(obj, field: str = "title") -> str:
    """The same text without markup (for excerpts and attributes)."""
    return _english_of(obj, field) or getattr(obj, field, "") or ""


@register.filter
def local_lang(obj, field: str = "title") -> str:
    """"ja" when `local_plain` gives Japanese text on a non-Japanese page, else ""."""
    if (get_language() or "ja").startswith("ja") or _english_of(obj, field):
        return ""
    return "ja" if getattr(obj, field, "") else ""


@register.filter
def licence_name(licence_id: str) -> str:
    return licence_title(licence_id)


@register.filter
def licence_url(licence_id: str) -> str:
    licence = LICENCES.get(licence_id)
    return licence.url if licence else ""


@register.filter
def filesize(value) -> str:
    """Bytes as B / KB / MB with one decimal (1 KB = 1,024 bytes)."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
