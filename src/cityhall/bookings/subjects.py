"""Bookings made for someone other than the person who books — a child at an infant health
checkup (取組23) — named by a domain app without the bookings engine importing it
(DESIGN.md: an engine stays ignorant of domains; the domain registers itself).

In its `AppConfig.ready()` a domain app registers a kind of subject::

    from cityhall.bookings.subjects import SubjectKind, register_subject_kind

    register_subject_kind(SubjectKind(
        key="childcare.checkup", claims=..., check=..., describe=..., hint=_("...")))

- `claims(resource) -> bool`: every booking of this resource must name a subject of this
  kind. The residents' generic booking pages then show `hint` (where to book it instead) and
  `booking_create` refuses a booking without a subject.
- `check(*, subject, resource, slot, user, actor, now) -> None`: raises a `CityhallError`
  (a translated message) when `user` may not book `slot` for `subject`; `booking_create`
  calls it before any place is taken, so a refusal changes nothing.
- `describe(bookings, *, viewer) -> {booking pk: text}`: a short line saying whom each
  booking is for (e.g. a child's name and age), for the holder's own pages and the staff
  screens. The caller has already read (and, for staff, audited) the bookings themselves;
  `describe` audits the reads of its own records.

The subject is stored on the booking as an opaque key chosen by the domain app
(`Booking.subject`, "<kind key>:<ids>", e.g. "childcare.checkup:12:3-4m") — ids only, never a
name, so it is safe in URLs, logs and exports. The database keeps at most one live booking
per key (`booking_one_live_per_subject`): the domain app makes its rule ("one booking per
child per checkup") the shape of its keys. The limit of upcoming bookings per person then
counts per subject, and one person may hold several places in one slot for different
subjects (twins at the same checkup).

A domain app that is not installed registers nothing: its resources are booked like any
other again.
"""

from collections.abc import Callable
from dataclasses import dataclass

SEPARATOR = ":"


@dataclass(frozen=True)
class SubjectKind:
    key: str  # the prefix of the subject keys, e.g. "childcare.checkup"
    claims: Callable[..., bool]
    check: Callable[..., None]
    describe: Callable[..., dict]
    hint: str = ""  # (lazy) translated: where residents book these instead


_kinds: dict[str, SubjectKind] = {}


def register_subject_kind(kind: SubjectKind) -> None:
    _kinds[kind.key] = kind


def subject_kinds() -> list[SubjectKind]:
    return sorted(_kinds.values(), key=lambda kind: kind.key)


def kind_claiming(resource) -> SubjectKind | None:
    """The registered kind whose bookings `resource` takes, or None (an ordinary resource)."""
    for kind in subject_kinds():
        if kind.claims(resource):
            return kind
    return None


def kind_of(subject: str) -> SubjectKind | None:
    """The registered kind a subject key belongs to, by its prefix."""
    return _kinds.get((subject or "").split(SEPARATOR, 1)[0])


def describe(bookings, *, viewer) -> dict:
    """{booking pk: whom it is for} for the bookings that name a subject (others are left
    out)."""
    by_kind: dict[str, list] = {}
    for booking in bookings:
        if booking.subject:
            by_kind.setdefault(booking.subject.split(SEPARATOR, 1)[0], []).append(booking)
    found = {}
    for key, group in by_kind.items():
        kind = _kinds.get(key)
        if kind is not None:
            found.update(kind.describe(group, viewer=viewer))
    return found
