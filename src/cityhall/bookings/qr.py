"""QR codes of the bookings engine as inline SVG (no JavaScript, no image files): the code on
a resident's booking that staff scan, and the poster at a facility that residents scan to
check themselves in (取組15, 座席予約システム)."""

import segno
from django.utils.html import escape
from django.utils.safestring import mark_safe


def qr_svg(url: str, *, label: str, scale: int = 5) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=scale, dark="#000", light="#fff",
                                                svgclass="checkin-code")
    return mark_safe(svg.replace(  # noqa: S308 - segno's own markup; the label is escaped
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1))
