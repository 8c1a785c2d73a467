"""CSV export and import of the FAQ entries (取組8), so that departments can work in Excel:
UTF-8 with a BOM or Shift_JIS (cp932), one row per entry, phrasings and related pages
separated by " | ". An import is all or nothing: any bad row refuses the whole file, and the
error names the row and the column.
"""

import csv
import io

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import CityhallError, ValidationFailed

from . import services
from .models import Entry

COLUMNS = ["key", "status", "category", "department", "contact", "question_ja", "question_en",
           "answer_ja", "answer_en", "phrasings_ja", "phrasings_en", "related", "review_date",
           "is_demo"]
ENCODINGS = {"utf-8": "utf-8-sig", "shift_jis": "cp932"}
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024


def export_csv(entries, *, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([
            entry.key, entry.status, entry.category.code,
            entry.department.code if entry.department else "", entry.contact,
            entry.question_ja, entry.question_en, entry.answer_ja, entry.answer_en,
            " | ".join(entry.phrasings_ja), " | ".join(entry.phrasings_en),
            " | ".join(entry.related),
            entry.review_date.isoformat() if entry.review_date else "",
            "1" if entry.is_demo else "0",
        ])
    # cp932 cannot hold every character: replace rather than fail (a rare 〜 variant or emoji).
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(ENCODINGS[encoding])
    except (UnicodeDecodeError, KeyError):
        other = "shift_jis" if encoding == "utf-8" else "utf-8"
        raise ValidationFailed(_("The file is not in the chosen encoding. Try %(other)s.")
                               % {"other": other.replace("_", "-").upper()},
                               field="encoding") from None


def parse_csv(data: bytes, *, encoding: str) -> list[dict]:
    if len(data) > MAX_BYTES:
        raise ValidationFailed(_("The file is too large (at most 10 MB)."), field="file")
    if b"\x00" in data:
        raise ValidationFailed(_("This is not a CSV file."), field="file")
    text = _decode(data, encoding)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise ValidationFailed(_("The CSV file cannot be read: %(error)s")
                               % {"error": error}, field="file") from None
    if not rows:
        raise ValidationFailed(_("The file is empty."), field="file")
    header = [name.strip() for name in rows[0]]
    missing = [name for name in ("key", "category", "question_ja", "answer_ja")
               if name not in header]
    if missing:
        raise ValidationFailed(_("Row 1: the columns %(columns)s are missing.")
                               % {"columns": ", ".join(missing)}, field="file")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ValidationFailed(_("Row 1: unknown columns %(columns)s.")
                               % {"columns": ", ".join(unknown)}, field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationFailed(_("At most %(count)s rows at a time.") % {"count": MAX_ROWS},
                               field="file")
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ValidationFailed(_("Row %(row)s has more cells than the header.")
                                   % {"row": number}, field="file")
        record = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
        record["_row"] = number
        records.append(record)
    return records


def import_csv(*, data: bytes, encoding: str, actor) -> dict:
    """Create or update the entries of the file, all or nothing."""
    records = parse_csv(data, encoding=encoding)
    keys = [record.get("key", "").strip().lower() for record in records]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        row = next(r["_row"] for r in records if r.get("key", "").strip().lower() in duplicates)
        raise ValidationFailed(_("Row %(row)s, column key: the key appears twice in the file.")
                               % {"row": row}, field="file")
    created = updated = unchanged = 0
    with transaction.atomic():
        for record in records:
            row = record.pop("_row")
            key = record.get("key", "").strip().lower()
            entry = Entry.objects.filter(key=key).select_related("category",
                                                                 "department").first()
            data_row = services._snapshot(entry) if entry else {}
            data_row.update({name: value for name, value in record.items()})
            if "is_demo" in record:
                data_row["is_demo"] = record["is_demo"].strip().lower() in ("1", "true", "yes")
            if not data_row.get("status"):
                data_row["status"] = entry.status if entry else Entry.Status.DRAFT
            try:
                before = entry.revision if entry else None
                saved = services.entry_save(data=data_row, entry=entry, actor=actor,
                                            action="import" if entry else "create")
            except CityhallError as error:
                column = error.field or "-"
                raise ValidationFailed(
                    _("Row %(row)s, column %(column)s: %(message)s")
                    % {"row": row, "column": column, "message": error.message},
                    field="file") from None
            if entry is None:
                created += 1
            elif saved.revision != before:
                updated += 1
            else:
                unchanged += 1
        audit_record(actor=actor, action="faq_entry.import_csv", target_type="faq.entry",
                     details={"created": created, "updated": updated})
    return {"created": created, "updated": updated, "unchanged": unchanged}
