"""The result letters of nursery admission (取組7): one letter per household, with every child
of the household — 入所内定通知書 for a child admitted (the nursery, the age class, the
admission date), 保留通知書（入所不承諾） for a child who was not (and 転園保留 for a transfer
child who stays where they are) — each child with the explanation of every wish, in the
same words as the staff child page (`views.text.wish_statuses`), and the child's score
breakdown; then the contact (問い合わせ先).

Letters are official documents and printed in Japanese; a household whose online applicant
prefers English gets its letter in English. `RoundLetters` loads a round's decision and
explains it once, so printing one household or the 1,500 households of a spring round costs
one engine explanation; `pdf(letters)` renders any number of them into one PDF
(`core.pdf`, WeasyPrint).
"""

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityhall.core.models import BranchOffice, Department
from cityhall.core.pdf import JAPANESE_FONTS, render_pdf
from cityhall.core.selectors import current_municipality

from .models import SELECTED_STATUSES, AdmissionRound, Application, Household, Placement
from .selectors import round_explanations
from .services.priority import tie_break_rules_of
from .services.runs import latest_run
from .views.text import RULE_LABELS, wish_statuses

TEMPLATE = "childcare/pdf/letters.html"
LETTER_LANGUAGES = ("ja", "en")
CHILDCARE_DEPARTMENT = "hoiku"  # 子ども家庭支援部 保育課


@dataclass
class ChildResult:
    application: Application
    outcome: str  # "admitted", "kept_current" or "not_admitted"
    nursery: object | None
    wishes: list[dict]


@dataclass
class HouseholdLetter:
    household: Household
    language: str
    addressee: str
    children: list[ChildResult] = field(default_factory=list)


def letter_language(applications) -> str:
    """English when an online applicant of the household prefers it; Japanese otherwise."""
    for application in applications:
        resident = application.resident
        if resident is not None and resident.preferred_language in LETTER_LANGUAGES:
            return resident.preferred_language
    return "ja"


class RoundLetters:
    """The letters of one round's decision (the latest run of a confirmed round)."""

    def __init__(self, round_: AdmissionRound):
        self.round = round_
        self.run = latest_run(round_)
        self.explanations = round_explanations(round_, self.run) if self.run else {}
        self.rules = tie_break_rules_of(round_)
        self.item_labels = {item.code: item.label for item in round_.points_table.items.all()}
        self.placements = {
            placement.application_id: placement
            for placement in Placement.objects.filter(run=self.run).select_related(
                "nursery__facility")} if self.run else {}
        self.municipality = current_municipality()
        self.department = Department.objects.filter(code=CHILDCARE_DEPARTMENT).first()
        self.office = BranchOffice.objects.filter(is_main_office=True).first()
        self.issued_on = timezone.localdate(round_.published_at or timezone.now())

    def household_ids(self) -> list[int]:
        """Every household of the round with an application, in household-number order."""
        return list(Household.objects.filter(round=self.round, applications__isnull=False,
                                             online_status__in=SELECTED_STATUSES)
                    .distinct().order_by("family_code", "pk").values_list("pk", flat=True))

    def letters(self, household_ids, *, language: str | None = None) -> list[HouseholdLetter]:
        """The letters of these households, each in its own language (or all in
        `language`)."""
        applications = (Application.objects.filter(household_id__in=list(household_ids))
                        .select_related("household", "resident", "current_nursery__facility")
                        .prefetch_related("wishes__nursery__facility", "points__item")
                        .order_by("household__family_code", "household_id", "date_of_birth",
                                  "pk"))
        by_household: dict[int, list[Application]] = {}
        for application in applications:
            by_household.setdefault(application.household_id, []).append(application)
        letters = []
        for members in by_household.values():
            chosen = language or letter_language(members)
            with translation.override(chosen):
                letters.append(self._letter(members, chosen))
        return letters

    def _letter(self, members: list[Application], language: str) -> HouseholdLetter:
        residents = [member.resident for member in members if member.resident is not None]
        addressee = (_("%(name)s (parent or guardian)") % {"name": residents[0].full_name}
                     if residents else _("The parent or guardian of %(names)s") % {
                         "names": "、".join(member.child_name for member in members)})
        letter = HouseholdLetter(household=members[0].household, language=language,
                                 addressee=addressee)
        for application in members:
            placement = self.placements.get(application.pk)
            if placement is None or placement.nursery is None:
                outcome = "not_admitted"
            elif placement.kept_current:
                outcome = "kept_current"
            else:
                outcome = "admitted"
            letter.children.append(ChildResult(
                application=application, outcome=outcome,
                nursery=placement.nursery if placement else None,
                wishes=wish_statuses(list(application.wishes.all()), placement,
                                     self.explanations.get(str(application.pk)), self.rules,
                                     RULE_LABELS, application=application,
                                     item_labels=self.item_labels)))
        return letter

    def _context(self, letters: list[HouseholdLetter]) -> dict:
        municipality = self.municipality
        return {"round": self.round, "letters": letters, "issued_on": self.issued_on,
                "municipality": municipality, "department": self.department,
                "office": self.office,
                "municipality_name": municipality.name if municipality else ""}

    def html(self, letters: list[HouseholdLetter]) -> str:
        """The HTML the PDF is printed from (also what the tests and the bench read)."""
        language = letters[0].language if len(letters) == 1 else "ja"
        with translation.override(language):
            return render_to_string(TEMPLATE, {**self._context(letters),
                                               "pdf_fonts": JAPANESE_FONTS})

    def pdf(self, letters: list[HouseholdLetter]) -> bytes:
        language = letters[0].language if len(letters) == 1 else "ja"
        with translation.override(language):
            return render_pdf(TEMPLATE, self._context(letters))


def household_letter_pdf(application: Application) -> bytes:
    """The letter of the household of `application` (all its children) as a PDF."""
    letters = RoundLetters(application.round)
    return letters.pdf(letters.letters([application.household_id]))


def letter_filename(round_: AdmissionRound, household: Household | None = None) -> str:
    if household is not None:
        return f"nursery-result-{round_.pk}-{household.pk}.pdf"
    return f"nursery-results-round-{round_.pk}.pdf"
