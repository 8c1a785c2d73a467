"""Reading the table files staff upload (CSV in UTF-8 or Shift_JIS, or Excel .xlsx) into rows of
text, and the error that names the bad row and column.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is
row 2. A cell is text with spaces trimmed; numbers, dates and codes are also NFKC-normalised
by the importers (全角 digits are accepted).
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cityhall.core.errors import ValidationFailed
from cityhall.core.textfiles import decode_office_text

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 100


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class ImportFailed(ValidationFailed):
    """Some rows are bad: nothing was imported. `errors` names each bad row and column."""

    code = "import_failed"
    default_message = gettext_lazy("The file has errors; nothing was imported.")

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "\n".join(str(error) for error in errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        if more > 0:
            shown += "\n" + ngettext("… and %(count)d more error.",
                                     "… and %(count)d more errors.", more) % {"count": more}
        summary = ngettext("The file has %(count)d error; nothing was imported.",
                           "The file has %(count)d errors; nothing was imported.",
                           len(errors)) % {"count": len(errors)}
        super().__init__(f"{summary}\n{shown}", field="file")

    def as_dict(self) -> dict:
        payload = super().as_dict()
        payload["errors"] = [{"row": error.row, "column": error.column,
                              "message": str(error.message)} for error in self.errors]
        return payload


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) \
            else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(raw: bytes) -> str:
    decoded = decode_office_text(raw)
    if decoded is None:
        raise ValidationFailed(_("The file is neither UTF-8 nor Shift_JIS text. Save it from "
                                 "Excel as “CSV UTF-8” or as an Excel workbook (.xlsx)."),
                               code="bad_encoding", field="file")
    return decoded[0]


def _xlsx_rows(raw: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise ValidationFailed(_("The Excel file cannot be read."), code="bad_file",
                               field="file") from None
    try:
        if not workbook.worksheets:
            return []
        rows = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append([_cell(value) for value in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def read_table(raw: bytes, filename: str = "") -> list[list[str]]:
    """The rows of a CSV or .xlsx file (header first), blank rows kept so that row numbers
    match the spreadsheet's; trailing empty cells trimmed."""
    if not raw:
        raise ValidationFailed(_("The file is empty."), code="empty", field="file")
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than 10 MB."), code="too_large",
                               field="file")
    if raw[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(raw)
    else:
        text = _decode(raw)
        if "\x00" in text:
            raise ValidationFailed(_("The file contains binary data."), code="bad_file",
                                   field="file")
        try:
            rows = [[cell.strip() for cell in row]
                    for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as error:
            raise ValidationFailed(_("The CSV file cannot be read: %(error)s")
                                   % {"error": error}, code="bad_file", field="file") from None
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS + 1:
        raise ValidationFailed(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS},
                               code="too_many_rows", field="file")
    if not rows or not any(rows[0]):
        raise ValidationFailed(_("The file has no header row."), code="empty", field="file")
    return rows


def template_csv(columns: list[str], example: list[list[str]] = ()) -> bytes:
    """A CSV template (UTF-8 with BOM, for Excel) with the header row and example rows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(example)
    return out.getvalue().encode("utf-8-sig")
