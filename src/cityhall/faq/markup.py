"""The small HTML allowed in FAQ answers (取組6, 8): p, br, ul, ol, li, strong, em and links.

Answers are written by staff but shown on every portal page and sent through LINE, so they
are cleaned on every save and again on display: anything else is escaped, links keep only an
href that is relative, http(s), mailto or tel, and off-site links get rel="noopener".
"""

import html
from html.parser import HTMLParser

ALLOWED = {"p", "br", "ul", "ol", "li", "strong", "em", "a"}
VOID = {"br"}
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:", "/", "#")


def safe_href(href: str) -> str | None:
    href = (href or "").strip()
    if href.startswith("//"):
        return None
    if href.lower().startswith(SAFE_SCHEMES):
        return href
    return None


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skip = 0  # inside <script> or <style>: their text is dropped

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
            return
        if tag not in ALLOWED:
            return
        if tag == "a":
            href = safe_href(dict(attrs).get("href") or "")
            if href is None:
                self.out.append("<a>")
            else:
                rel = "" if href.startswith(("/", "#")) else ' rel="noopener"'
                self.out.append(f'<a href="{html.escape(href, quote=True)}"{rel}>')
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
            return
        if tag in self.open:
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data):
        if not self.skip:
            self.out.append(html.escape(data, quote=False))


def clean_html(markup: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(markup or "")
    cleaner.close()
    cleaner.out.extend(f"</{tag}>" for tag in reversed(cleaner.open))
    return "".join(cleaner.out).strip()


def to_plain_text(markup: str) -> str:
    """The answer as text (LINE): links become 'text (address)'."""
    class _Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.href = None

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.href = safe_href(dict(attrs).get("href") or "")
            elif tag == "li":
                self.parts.append("\n・")
            elif tag in ("p", "br", "ul", "ol"):
                self.parts.append("\n")

        def handle_endtag(self, tag):
            if tag == "a" and self.href:
                self.parts.append(f" ({self.href})")
                self.href = None

        def handle_data(self, data):
            self.parts.append(data)

    parser = _Text()
    parser.feed(clean_html(markup))
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)
