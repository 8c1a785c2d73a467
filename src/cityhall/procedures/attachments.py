"""What an uploaded file really is (電子申請の添付ファイル).

The type of an attachment is read from its first bytes, never from its name or from the
content type the browser declares: a program renamed `certificate.pdf` is still refused.
Only PDF, JPEG and PNG are known; an empty file is refused.
"""

import hashlib
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext as _

from cityhall.core.errors import ValidationFailed

# The types a form may accept, with the label residents read and the first bytes that mark
# them (the PDF header, the PNG signature, a JPEG's start-of-image marker).
FILE_TYPES = {
    "application/pdf": ("PDF", b"%PDF-"),
    "image/jpeg": ("JPEG", b"\xff\xd8\xff"),
    "image/png": ("PNG", b"\x89PNG\r\n\x1a\n"),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class FileFacts:
    content_type: str
    size: int
    sha256: str
    name: str


def sniff(head: bytes) -> str | None:
    """The content type that the first bytes of a file show, or None if not a known one."""
    for content_type, (_label, magic) in FILE_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def type_labels(types) -> str:
    return ", ".join(FILE_TYPES[content_type][0] for content_type in types)


def clean_name(name: str, content_type: str) -> str:
    """The resident's name for the file, without paths or control characters, shortened
    from the left of its extension; kept only to show and to name the download."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = unicodedata.normalize("NFC", name).strip() or "attachment" + EXTENSIONS[content_type]
    if len(name) > NAME_MAX_LENGTH:
        _stem, dot, extension = name.rpartition(".")
        extension = dot + extension if dot and len(extension) <= 10 else ""
        name = name[:NAME_MAX_LENGTH - len(extension)] + extension
    return name


def inspect_upload(uploaded_file, *, accept, max_bytes: int, field: str) -> FileFacts:
    """Check an uploaded file against a form field's rules and describe it; raises
    ValidationFailed (with `field`) for an empty, too large or unaccepted file."""
    declared_size = getattr(uploaded_file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise _too_large(max_bytes, field)
    digest, size = hashlib.sha256(), 0
    uploaded_file.seek(0)
    head = b""
    for chunk in uploaded_file.chunks():
        if len(head) < 16:
            head += chunk[:16 - len(head)]
        digest.update(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes, field)
    uploaded_file.seek(0)
    if size == 0:
        raise ValidationFailed(_("The file is empty. Please choose the file again."),
                               field=field, code="file_empty")
    content_type = sniff(head)
    if content_type not in accept:
        raise ValidationFailed(_("This kind of file cannot be accepted. Please attach a file "
                                 "of one of these types: %(types)s.")
                               % {"types": type_labels(accept)},
                               field=field, code="file_type")
    return FileFacts(content_type=content_type, size=size, sha256=digest.hexdigest(),
                     name=clean_name(getattr(uploaded_file, "name", ""), content_type))


def _too_large(max_bytes: int, field: str) -> ValidationFailed:
    return ValidationFailed(_("The file is too large: the limit is %(size)s.")
                            % {"size": megabytes(max_bytes)}, field=field, code="file_size")


def megabytes(size: int) -> str:
    """A size limit as residents read it: "5 MB", "1.5 MB", "300 KB"."""
    if size < 1024 * 1024:
        return _("%(number)s KB") % {"number": f"{round(size / 1024, 1):g}"}
    return _("%(number)s MB") % {"number": f"{round(size / (1024 * 1024), 1):g}"}


def content_disposition(name: str, content_type: str) -> str:
    """`attachment` with an ASCII fallback name and the real name as RFC 5987 filename*."""
    fallback = "".join(char for char in name if char.isascii() and char.isprintable()
                       and char not in '"\\;')
    if not fallback.strip(". ") or fallback != name:
        fallback = "attachment" + EXTENSIONS.get(content_type, "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(stored_file, *, name: str, content_type: str):
    """A stored upload as a download: the type found in its content when it came in, the
    resident's name for it (RFC 5987), never rendered in the portal's own origin. A file
    missing from the storage is "not found"."""
    from django.http import FileResponse, Http404

    try:
        handle = stored_file.storage.open(stored_file.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
