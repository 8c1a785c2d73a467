"""The translation catalogues are complete and the compiled files match them.

Japanese is the default language and must be complete; Chinese (simplified) and Korean serve
the public-safety pages and are kept complete too. English is the source language.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])
ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file as {keyword: text}, without obsolete or header entries."""
    entries, current, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            continue
        if match := ENTRY.match(line):
            key = match.group(1)
            # An entry starts at its msgctxt (pgettext) or, without one, at its msgid.
            if (key == "msgctxt" or (key == "msgid" and "msgid" in current)) and current:
                entries.append(current)
                current = {}
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif line.startswith("#, ") and "fuzzy" in line:
            current["fuzzy"] = True
    if current:
        entries.append(current)
    return [entry for entry in entries if entry.get("msgid")]


@pytest.mark.parametrize("language", ["ja", "zh_Hans", "ko"])
def test_catalogue_is_complete_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = read_po(po)
    assert len(entries) > 250
    untranslated = [e["msgid"] for e in entries
                    if not any(v for k, v in e.items() if k.startswith("msgstr"))]
    assert untranslated == []
    assert [e["msgid"] for e in entries if e.get("fuzzy")] == []
    with (po.parent / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    compiled = {key[0] if isinstance(key, tuple) else key for key in catalog if key}
    # .po strings use C escapes, which Python's string literal syntax reads the same way.
    # A pgettext entry is compiled under "context\x04msgid".
    missing = [e["msgid"] for e in entries if ast.literal_eval(
        f'"{e["msgctxt"]}\\x04{e["msgid"]}"' if "msgctxt" in e else f'"{e["msgid"]}"')
        not in compiled]
    assert missing == [], "django.mo is older than django.po: run `make messages`"
