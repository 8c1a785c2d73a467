"""PDF documents from HTML templates (WeasyPrint): receipts, counter forms, reports.

Shared by every app that prints (取組1 電子申請の受付票, 取組3 書かない窓口, 取組2 領収書).
Documents are A4 and set in IPAex Gothic, which the project's setup installs from Debian
(`make install`); without a Japanese font WeasyPrint would print empty boxes, so
`japanese_font_available()` lets /healthz and the tests say so plainly.

WeasyPrint is never allowed to fetch anything: a document is built only from the template
and its context, so no resident-entered text can make the server reach a URL.
"""

import functools
import shutil
import subprocess

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .errors import CityhallError

JAPANESE_FONTS = ("IPAexGothic", "IPAGothic", "Noto Sans CJK JP")


class PdfUnavailable(CityhallError):
    status = 503
    code = "pdf_unavailable"
    default_message = _("Printing is not available on this server at the moment.")


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"documents may not load external resources ({url[:40]})")


@functools.cache
def japanese_font_available() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True,
                            check=False, timeout=20).stdout
    return any(name in listed for name in JAPANESE_FONTS)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template that extends `core/pdf/base.html` into PDF bytes."""
    try:
        from weasyprint import HTML
    except OSError as error:  # Pango missing: the system libraries are not installed
        raise PdfUnavailable() from error
    html = render_to_string(template_name, {**context, "pdf_fonts": JAPANESE_FONTS})
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
