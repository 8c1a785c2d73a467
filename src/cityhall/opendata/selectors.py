"""The catalogue's one search engine (取組27): used by the public catalogue pages, the CKAN
`package_search` action and DCAT's paged catalogue alike, so that all three agree.

A search is free text (`q`) plus filter clauses in the small part of Solr's syntax that CKAN
clients really send (`parse_filter_query`): `field:value`, `field:"two words"`,
`-field:value`, `field:(a OR b)`, `a OR b` across clauses, and ranges
`metadata_modified:[2026-01-01T00:00:00Z TO *]`. Text matching is a substring match on one
normalised column (`Dataset.search_text`): Japanese has no spaces between words, and a
substring match finds 避難所 inside 指定避難所一覧 where a word index without a Japanese
analyser would not.

Every result order ends with the dataset id, so that paging with `start`/`rows` is stable:
the CKAN harvester stops (or loops) when pages overlap.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.errors import CityhallError

from .licences import licence_title
from .models import Dataset, Resource
from .permissions import organizations_editable_by

MAX_ROWS = 1000  # CKAN silently caps rows at 1000 (ckan.search.rows_max); clients expect it
DEFAULT_SORT = "score desc, metadata_modified desc"
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")


class SearchQueryError(CityhallError):
    """A search that cannot be understood (CKAN's "Search Query Error", HTTP 400)."""

    code = "search_query"
    status = 400
    default_message = _("The search could not be understood.")


def normalise(text: str) -> str:
    """The form both `search_text` and the query terms take: NFKC (full-width letters and
    half-width kana become one form), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


@dataclass(frozen=True)
class Term:
    field: str
    value: str | None = None
    low: datetime | None = None  # for ranges; None = open end
    high: datetime | None = None
    is_range: bool = False


@dataclass(frozen=True)
class Clause:
    """Terms joined by OR; the clause as a whole may be negated. Clauses are joined by AND."""

    terms: tuple[Term, ...]
    negate: bool = False


# Filterable fields and what they mean in the database. Multi-valued ones (tags, groups,
# formats) are matched through a subquery so that a dataset is never counted twice.
RANGE_FIELDS = {"metadata_modified", "metadata_created"}
TEXT_FIELDS = {"text", "title", "notes"}
FIELDS = {"organization", "owner_org", "groups", "tags", "res_format", "license_id",
          "name", "id", "state", "private", "capacity", "standard", "update_frequency",
          *RANGE_FIELDS, *TEXT_FIELDS}

_TOKEN = re.compile(r'''
    \s*(?:
      (?P<open>\() | (?P<close>\)) |
      (?P<neg>[-!])?(?P<field>[A-Za-z_][A-Za-z0-9_.]*):
        (?: \[(?P<low>[^\]\s]+)\s+TO\s+(?P<high>[^\]\s]+)\]
          | "(?P<fquoted>[^"]*)"
          | \((?P<flist>[^)]*)\)
          | (?P<fvalue>[^\s()"]+) )
      | "(?P<quoted>[^"]*)"
      | (?P<word>[^\s()"]+)
    )''', re.VERBOSE)


def _parse_datetime(text: str, field_name: str) -> datetime | None:
    if text == "*":
        return None
    if text.upper().startswith("NOW"):
        return timezone.now()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(_("“%(value)s” is not a date and time "
                                 "for %(field)s.") % {"value": text[:50], "field": field_name}
                               ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_field(name: str) -> str:
    if name not in FIELDS:
        raise SearchQueryError(_("Unknown field “%(field)s”.")
                               % {"field": name[:50]})
    return name


def _list_values(text: str) -> list[str]:
    parts = [part.strip().strip('"') for part in re.split(r"\s+OR\s+|\s+", text.strip())]
    return [part for part in parts if part and part != "OR"]


def parse_filter_query(text: str) -> tuple[list[Clause], list[str]]:
    """Split `text` (a CKAN `q` or `fq`) into filter clauses and free-text terms.

    Raises `SearchQueryError` for what is not understood, with a message that says what."""
    clauses: list[Clause] = []
    words: list[str] = []
    negate_next = False
    join_with_previous = False
    position = 0
    text = (text or "").strip()
    if text in ("", "*:*", "*"):
        return [], []
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SearchQueryError(_("Cannot read “%(text)s”.")
                                   % {"text": text[position:position + 50]})
        position = match.end()
        if match["open"] or match["close"]:
            # Grouping parentheses around whole clauses are accepted and ignored: CKAN clients
            # send "(organization:a OR organization:b)".
            continue
        word = match["word"]
        if word in ("AND", "&&", "+"):
            continue
        if word in ("OR", "||"):
            if not clauses:
                raise SearchQueryError(_("OR needs something "
                                         "before it."))
            join_with_previous = True
            continue
        if word in ("NOT", "-", "!"):
            negate_next = True
            continue
        negate = negate_next
        negate_next = False
        if match["field"]:
            name = match["field"]
            if match["neg"]:
                negate = True
            if name == "*" and match["fvalue"] == "*":
                continue
            _check_field(name)
            if match["low"] is not None:
                if name not in RANGE_FIELDS:
                    raise SearchQueryError(_("“%(field)s” cannot be "
                                             "searched by range.") % {"field": name})
                terms = (Term(name, low=_parse_datetime(match["low"], name),
                              high=_parse_datetime(match["high"], name), is_range=True),)
            elif match["flist"] is not None:
                values = _list_values(match["flist"])
                if not values:
                    raise SearchQueryError(_("Empty list for "
                                             "“%(field)s”.") % {"field": name})
                terms = tuple(Term(name, value) for value in values)
            else:
                value = match["fquoted"] if match["fquoted"] is not None else match["fvalue"]
                terms = (Term(name, value),)
            clause = Clause(terms, negate)
        else:
            value = match["quoted"] if match["quoted"] is not None else word
            if value.startswith("-") and len(value) > 1:
                value, negate = value[1:], True
            if not negate and not join_with_previous:
                words.append(value)
                continue
            clause = Clause((Term("text", value),), negate)
        if join_with_previous:
            previous = clauses.pop()
            if previous.negate or clause.negate:
                raise SearchQueryError(_("OR cannot join negated "
                                         "terms."))
            clause = Clause(previous.terms + clause.terms)
            join_with_previous = False
        clauses.append(clause)
    if join_with_previous or negate_next:
        raise SearchQueryError(_("It ends with an operator."))
    return clauses, words


def _term_q(term: Term) -> Q:
    name, value = term.field, term.value
    if term.is_range:
        q = Q()
        if term.low is not None:
            q &= Q(**{f"{name}__gte": term.low})
        if term.high is not None:
            q &= Q(**{f"{name}__lte": term.high})
        return q
    if value == "*":
        # field:* = the field has a value (CKAN clients use it to ask "any").
        return Q()
    if name == "organization":
        return Q(organization__name=value)
    if name == "owner_org":
        return Q(organization__name=value) | Q(organization__id=_uuid_or_none(value))
    if name == "tags":
        return Q(pk__in=Dataset.tags.through.objects.filter(tag__name=value)
                 .values("dataset_id"))
    if name == "groups":
        return Q(pk__in=Dataset.groups.through.objects.filter(group__name=value)
                 .values("dataset_id"))
    if name == "res_format":
        return Q(pk__in=Resource.objects.filter(format__iexact=value,
                                                state=Dataset.State.ACTIVE)
                 .values("dataset_id"))
    if name == "id":
        return Q(pk=_uuid_or_none(value))
    if name in ("private", "capacity"):
        private = value.lower() in ("true", "private") if name == "private" else (
            value.lower() == "private")
        return Q(private=private)
    if name in TEXT_FIELDS:
        normalised = normalise(value)
        if name == "text":
            return Q(search_text__contains=normalised)
        return Q(**{f"{name}__icontains": value}) | Q(**{f"{name}_en__icontains": value})
    return Q(**{name: value})


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def clauses_q(clauses: list[Clause]) -> Q:
    combined = Q()
    for clause in clauses:
        alternatives = Q()
        for term in clause.terms:
            alternatives |= _term_q(term)
        combined &= ~alternatives if clause.negate else alternatives
    return combined


SORT_FIELDS = {"score", "metadata_modified", "metadata_created", "name", "title_string",
               "id", "title"}


def parse_sort(sort: str | None) -> list[str]:
    """CKAN's `sort` ("metadata_modified desc, name asc") as ORM ordering, ending with the id
    so that equal keys never swap between pages."""
    ordering: list[str] = []
    for part in (sort or DEFAULT_SORT).split(","):
        bits = part.split()
        if not bits:
            continue
        if len(bits) > 2 or bits[0] not in SORT_FIELDS or (
                len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise SearchQueryError(_("Cannot sort by “%(sort)s”.")
                                   % {"sort": part.strip()[:50]})
        name = {"title_string": "title", "score": "-score"}.get(bits[0], bits[0])
        descending = len(bits) == 2 and bits[1].lower() == "desc"
        if bits[0] == "score":
            ordering.append("-score" if descending or len(bits) == 1 else "score")
            continue
        ordering.append(f"-{name}" if descending else name)
    if not any(key.lstrip("-") == "id" for key in ordering):
        ordering.append("id")
    return ordering


def datasets_visible_to(user, *, include_private: bool = False,
                        include_drafts: bool = False) -> QuerySet:
    """Public datasets, plus (when asked for) the private and draft ones of the organizations
    `user` may edit. Deleted datasets are never listed."""
    visible = Q(state=Dataset.State.ACTIVE, private=False)
    if (include_private or include_drafts) and user is not None:
        editable = organizations_editable_by(user)
        states = [Dataset.State.ACTIVE] + ([Dataset.State.DRAFT] if include_drafts else [])
        own = Q(organization__in=editable, state__in=states)
        if not include_private:
            own &= Q(private=False)
        visible |= own
    return Dataset.objects.filter(visible)


@dataclass
class FacetItem:
    name: str
    display_name: str
    count: int


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[FacetItem]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT


def dataset_search(*, user=None, q: str = "", fq: str = "", fq_list=(),
                   sort: str | None = None, start: int = 0, rows: int = 10,
                   facet_fields=(), facet_limit: int = 50, facet_mincount: int = 1,
                   include_private: bool = False, include_drafts: bool = False,
                   language: str = "ja") -> SearchResult:
    """Search the catalogue as `user` sees it. `rows` is capped at MAX_ROWS; negative numbers
    are refused. Results come with organization, tags, groups and resources prefetched."""
    if start < 0 or rows < 0:
        raise SearchQueryError(_("Start and rows cannot be "
                                 "negative."))
    rows = min(rows, MAX_ROWS)
    unknown = [name for name in facet_fields if name not in FACET_FIELDS]
    if unknown:
        raise SearchQueryError(_("Cannot count by “%(field)s”.")
                               % {"field": unknown[0][:50]})
    clauses, words = parse_filter_query(q)
    for text in [fq, *fq_list]:
        more_clauses, more_words = parse_filter_query(text)
        clauses += more_clauses + [Clause((Term("text", word),)) for word in more_words]
    ordering = parse_sort(sort)

    queryset = datasets_visible_to(user, include_private=include_private,
                                   include_drafts=include_drafts).filter(clauses_q(clauses))
    terms = [normalise(word) for word in words if normalise(word)]
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    if terms:
        # A term in the title counts more than one only in the description or tags.
        score = sum((Case(When(Q(title__icontains=term) | Q(title_en__icontains=term),
                               then=Value(2)), default=Value(1), output_field=IntegerField())
                     for term in terms), Value(0))
    else:
        score = Value(0, output_field=IntegerField())
    queryset = queryset.annotate(score=score)

    count = queryset.count()
    page = list(queryset.select_related("organization")
                .prefetch_related("tags", "groups", "resources")
                .order_by(*ordering)[start:start + rows]) if rows else []
    facets = {name: _facet(name, queryset, facet_limit, facet_mincount, language)
              for name in facet_fields}
    return SearchResult(count=count, datasets=page, facets=facets,
                        sort=sort or DEFAULT_SORT)


def _facet(name: str, queryset: QuerySet, limit: int, mincount: int,
           language: str) -> list[FacetItem]:
    ids = queryset.order_by().values("pk")
    english = language.startswith("en")
    if name == "organization":
        rows = (Dataset.objects.filter(pk__in=ids).values(
            "organization__name", "organization__title", "organization__title_en")
            .annotate(count=Count("pk")))
        items = [FacetItem(row["organization__name"],
                           (english and row["organization__title_en"])
                           or row["organization__title"], row["count"]) for row in rows]
    elif name == "groups":
        rows = (Dataset.groups.through.objects.filter(dataset_id__in=ids)
                .values("group__name", "group__title", "group__title_en")
                .annotate(count=Count("dataset_id")))
        items = [FacetItem(row["group__name"],
                           (english and row["group__title_en"]) or row["group__title"],
                           row["count"]) for row in rows]
    elif name == "tags":
        rows = (Dataset.tags.through.objects.filter(dataset_id__in=ids)
                .values("tag__name").annotate(count=Count("dataset_id")))
        items = [FacetItem(row["tag__name"], row["tag__name"], row["count"]) for row in rows]
    elif name == "res_format":
        rows = (Resource.objects.filter(dataset_id__in=ids, state=Dataset.State.ACTIVE)
                .exclude(format="").values("format")
                .annotate(count=Count("dataset_id", distinct=True)))
        items = [FacetItem(row["format"], row["format"], row["count"]) for row in rows]
    else:  # license_id
        rows = (Dataset.objects.filter(pk__in=ids).values("license_id")
                .annotate(count=Count("pk")))
        items = [FacetItem(row["license_id"], licence_title(row["license_id"]), row["count"])
                 for row in rows]
    items = [item for item in items if item.count >= mincount]
    items.sort(key=lambda item: (-item.count, item.name))
    return items[:limit] if limit >= 0 else items
