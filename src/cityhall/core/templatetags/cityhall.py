"""Template helpers of the portal: names in the reader's language and labels for stored codes.

Load with `{% load cityhall %}`.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..models import Facility

register = template.Library()

# The hazard categories of the GSI data on designated emergency evacuation sites
# (指定緊急避難場所), as stored in Facility.hazards.
HAZARD_LABELS = {
    "flood": _("Flood"),  # 洪水
    "landslide": _("Landslide, debris flow or slope failure"),  # 崖崩れ、土石流及び地滑り
    "storm_surge": _("Storm surge"),  # 高潮
    "earthquake": _("Earthquake"),  # 地震
    "tsunami": _("Tsunami"),  # 津波
    "large_fire": _("Large-scale fire"),  # 大規模な火事
    "inland_flood": _("Inland flooding"),  # 内水氾濫
    "volcano": _("Volcanic phenomena"),  # 火山現象
}


@register.simple_tag
def local_name(obj):
    """The object's English name (`name_en`) on pages in a language other than Japanese, when
    it has one; otherwise its Japanese `name`, marked `lang="ja"` for screen readers."""
    language = (get_language() or "ja").split("-")[0]
    name_en = getattr(obj, "name_en", "")
    if language != "ja" and name_en:
        return name_en
    name = getattr(obj, "name", str(obj))
    if language != "ja":
        return format_html('<span lang="ja">{}</span>', name)
    return name


@register.filter
def thousands(value):
    """An amount of yen with thousands separators (3,000), as Japanese forms print it."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value


@register.filter
def hazard_label(code):
    return HAZARD_LABELS.get(code, code)


@register.filter
def accessibility_label(code):
    return Facility.ACCESSIBILITY_FEATURES.get(code, code)


@register.filter
def need_label(code):
    """The label of one of a resident's accessibility needs."""
    from ..models import ResidentProfile

    try:
        return ResidentProfile.AccessibilityNeed(code).label
    except ValueError:
        return code


@register.filter
def localized(obj, field: str):
    """`obj.<field>_en` on pages in a language other than Japanese when it is filled in,
    otherwise `obj.<field>_ja` (marked `lang="ja"` when shown on a non-Japanese page). Lists
    (e.g. required documents) are returned as lists."""
    language = (get_language() or "ja").split("-")[0]
    english = getattr(obj, f"{field}_en", None)
    japanese = getattr(obj, f"{field}_ja", None)
    if language != "ja" and english:
        return english
    if language != "ja" and isinstance(japanese, str) and japanese:
        return format_html('<span lang="ja">{}</span>', japanese)
    return japanese if japanese is not None else ""
