"""Residents' online applications for nursery admission (取組7 保育園入園AIマッチング: 申込の
オンライン化). Until now Minato took paper forms at the counter and staff imported them; here a
resident with a profile fills in the same facts online, and they land in the same tables
(`Household` with `resident` and `online_status`, `Application`, `ApplicationWish`,
`ApplicationPoints`) so that the engine sees online and imported applications alike.

The rules are the import's (`services.imports`): the age class (`priority.age_class`), the
date-of-birth check (`imports.birth_date_error`), the points a family may claim
(`imports.points_chosen`) and the score (`priority.score_of`). Nothing here scores twice.

The life of an online application (one per resident and round: the household, with one
application per child):
- draft → submitted (the resident sends it) → verified (staff checked the documents,
  書類確認済) or returned (staff send it back with a reason; the resident corrects and sends
  it again). Only imported and verified households take part in the matching.
- The resident may change or withdraw it while the round takes online applications (between
  `applications_open_from` and `applications_close_at`, round not yet matched); a change to
  a sent application takes it back to a draft, to be sent again. After the close it is
  read-only for the resident; staff may still verify or return it until the round is run.
- `online_run_check`: the matching is refused while the window is open or while sent
  applications wait for the check (docs/childcare.md, "Online applications").
- `unsent_reminders_send`: a resident whose application is still a draft, or was returned,
  when the close is near (`CHILDCARE_UNSENT_REMINDER_HOURS`) is reminded once to send it: an
  unsent application takes no part in the selection.

Every write is a keyword-only service with an explicit actor, one transaction and an audit
event. A resident reaching another's application gets "not found".
"""

import datetime
import re
import secrets
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..matching.model import MAX_WISHES, SiblingRule
from ..models import (
    AdmissionRound,
    Application,
    ApplicationPoints,
    ApplicationWish,
    Household,
    Nursery,
    OnlineStatus,
    PointsItem,
)
from ..permissions import in_scope
from .imports import birth_date_error, points_chosen
from .priority import age_class, score_of

VERIFY_PERMISSION = "childcare.verify_online_application"
ONLINE_PREFIX = "WEB-"
MAX_NAME = 100
MAX_REASON = 1000
MAX_RESIDENT_TAX = 10**12
OPEN_STATES = (AdmissionRound.State.DRAFT, AdmissionRound.State.IMPORTED)
KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\s]+$")  # ひらがな, カタカナ, ー, spaces


# --- reading -----------------------------------------------------------------------------------

def open_rounds(now: datetime.datetime | None = None):
    """The rounds that take online applications now."""
    now = now or timezone.now()
    return (AdmissionRound.objects.filter(state__in=OPEN_STATES,
                                          applications_open_from__lte=now,
                                          applications_close_at__gt=now)
            .order_by("applications_close_at", "admission_date", "pk"))


def resident_profile_of(user):
    """The resident profile the online application needs, or None."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "resident_profile", None)


def own_household(user, round_id) -> Household:
    """The user's online application (household) for a round; "not found" for anyone else."""
    profile = resident_profile_of(user)
    try:
        return Household.objects.select_related("round__points_table", "resident").get(
            round_id=int(round_id), resident=profile, resident__isnull=False)
    except (Household.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None


def own_application(household: Household, application_id) -> Application:
    """One child's application in the user's own household; "not found" otherwise."""
    try:
        return household.applications.select_related("current_nursery__facility").get(
            pk=int(application_id))
    except (Application.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError() from None


def eligible_nurseries(round_: AdmissionRound, age: int) -> list[Nursery]:
    """The active nurseries that have seats for the age class in the round (their own seats
    for it, or seats shared by several age classes including it), in the usual order."""
    codes = set(round_.capacities.filter(age_class=age, seats__gt=0)
                .values_list("nursery_id", flat=True))
    codes |= {pool.nursery_id for pool in round_.seat_pools.filter(seats__gt=0)
              if age in pool.age_classes}
    return list(Nursery.objects.filter(pk__in=codes, is_active=True)
                .select_related("facility").order_by("sort_order", "code"))


def claimed_items(household: Household) -> list[tuple[int | None, PointsItem]]:
    """The (parent, item) pairs of what the family claims, as `score_of` takes them."""
    claims = household.online_claims or {}
    if not claims.get("parent1"):
        return []
    items = {item.code: item for item in household.round.points_table.items.all()}
    chosen, _errors = points_chosen(items, claims.get("parent1", ""),
                                    claims.get("parent2", ""),
                                    list(claims.get("adjustments", [])))
    return chosen


def score_preview(household: Household) -> dict:
    """The score every child of the household gets from what the family claims: the same
    `score_of` the import uses."""
    basic, adjustment, breakdown = score_of(claimed_items(household))
    return {"basic": basic, "adjustment": adjustment, "score": basic + adjustment,
            "breakdown": breakdown}


def record_children(household: Household, user) -> list:
    """The children of the resident's immunisation records (取組23, 母子健康手帳) not yet in the
    application, offered when adding a child so that the family types nothing twice
    (ワンスオンリー). Only the resident's own records."""
    from ..models import ChildProfile

    profile = resident_profile_of(user)
    if profile is None or household.resident_id != profile.pk:
        return []
    taken = set(household.applications.values_list("child_name", "date_of_birth"))
    return [child for child in ChildProfile.objects.filter(guardian=profile)
            .order_by("date_of_birth", "pk")
            if (normalise_name(child.name), child.date_of_birth) not in taken]


def is_sent(household: Household) -> bool:
    """Sent to the city (waiting for the check, or checked): a change makes it a draft."""
    return household.online_status in (OnlineStatus.SUBMITTED, OnlineStatus.VERIFIED)


def resident_can_change(household: Household, now=None) -> bool:
    return household.round.takes_online_applications(now)


def wish_errors(application: Application, nurseries: list[Nursery | None],
                eligible: list[Nursery] | None = None) -> list[tuple[int, str]]:
    """What is wrong with a child's wishes given in rank order (None: an empty line, skipped):
    (rank from 1, message). At most MAX_WISHES, at least one, no nursery twice, each one
    an active nursery with seats for the child's age class in the round, never the nursery
    the child attends now (転園: only those preferred to it)."""
    errors = []
    if eligible is None:
        eligible = eligible_nurseries(application.round, application.age_class)
    allowed = {nursery.pk for nursery in eligible}
    seen = set()
    given = [(rank, nursery) for rank, nursery in enumerate(nurseries, start=1) if nursery]
    if len(given) > MAX_WISHES:
        errors.append((MAX_WISHES + 1, _("At most %(max)d wishes are allowed.")
                       % {"max": MAX_WISHES}))
    if not given:
        errors.append((1, _("At least one wish is needed.")))
    for rank, nursery in given:
        if nursery.pk in seen:
            errors.append((rank, _("The nursery “%(code)s” is wished twice.")
                           % {"code": nursery.code}))
        elif nursery.pk not in allowed:
            errors.append((rank, _("“%(code)s” has no seats for the child's age class in this "
                                   "round.") % {"code": nursery.code}))
        elif application.current_nursery_id == nursery.pk:
            errors.append((rank, _("The nursery the child attends now cannot be a wish: list "
                                   "only the nurseries preferred to it.")))
        seen.add(nursery.pk)
    return errors


def submit_problems(household: Household) -> list[str]:
    """What must be done before the application can be sent (empty: it can be sent)."""
    problems = []
    applications = list(household.applications.prefetch_related("wishes__nursery"))
    if not applications:
        problems.append(_("Add at least one child."))
    for application in applications:
        wishes = [wish.nursery for wish in application.wishes.all()]
        if not wishes:
            problems.append(_("Choose the wished nurseries of %(name)s.")
                            % {"name": application.child_name})
        elif wish_errors(application, wishes):
            problems.append(_("Some wished nurseries of %(name)s no longer have seats for "
                              "the child's age class: change the wishes.")
                            % {"name": application.child_name})
    if not (household.online_claims or {}).get("parent1"):
        problems.append(_("Give the situation of the parents (保護者の状況)."))
    if len(applications) < 2 and household.sibling_rule != SiblingRule.INDEPENDENT:
        problems.append(_("A sibling rule needs two or more children."))
    return problems


def status_of(household: Household) -> str:
    """The status a resident sees: the online status, or "published" once the round's
    result is sent and the application took part."""
    if household.round.state == AdmissionRound.State.PUBLISHED \
            and household.online_status == OnlineStatus.VERIFIED:
        return "published"
    return household.online_status


# --- the resident's writes ---------------------------------------------------------------------

def _profile_or_refuse(actor):
    profile = resident_profile_of(actor)
    if profile is None:
        raise PermissionDeniedError(_("Enter your details (resident profile) before applying."))
    return profile


def _closed_error() -> ValidationFailed:
    return ValidationFailed(_("This round no longer takes online applications: the "
                              "application can no longer be changed."), code="closed")


def _lock_own(household: Household, actor) -> Household:
    """Lock the round and the household; refuse anyone but its resident, and a closed
    round."""
    profile = resident_profile_of(actor)
    round_ = AdmissionRound.objects.select_for_update().get(pk=household.round_id)
    locked = (Household.objects.select_for_update().select_related("round__points_table")
              .filter(pk=household.pk, resident=profile, resident__isnull=False).first())
    if locked is None or profile is None:
        raise NotFoundError()
    locked.round = round_
    if not round_.takes_online_applications():
        raise _closed_error()
    return locked


def _back_to_draft(household: Household) -> None:
    """A change to a sent (or checked, or returned) application makes it a draft again."""
    if household.online_status != OnlineStatus.DRAFT:
        household.online_status = OnlineStatus.DRAFT
        household.submitted_at = household.verified_at = None
        household.verified_by = None
    household.save()


def _apply_claims(household: Household, applications=None) -> None:
    """Give every child of the household the points the family claims, and its score."""
    chosen = claimed_items(household)
    basic, adjustment, breakdown = score_of(chosen)
    applications = list(household.applications.all() if applications is None
                        else applications)
    ApplicationPoints.objects.filter(application__in=applications).delete()
    ApplicationPoints.objects.bulk_create([
        ApplicationPoints(application=application, parent=parent, item=item)
        for application in applications for parent, item in chosen])
    for application in applications:
        application.basic_points, application.adjustment_points = basic, adjustment
        application.score, application.score_breakdown = basic + adjustment, breakdown
        application.save(update_fields=["basic_points", "adjustment_points", "score",
                                        "score_breakdown"])


def normalise_name(text: str) -> str:
    """NFKC, one space between words: 「港　一郎」 and 「港 一郎」 are the same child."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def online_application_start(*, round: AdmissionRound, actor) -> Household:
    """Start (or return) the resident's online application for a round: an empty draft
    household with the branch office of the resident's address."""
    profile = _profile_or_refuse(actor)
    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round.pk)
        if not locked.takes_online_applications():
            raise ValidationFailed(_("This round does not take online applications now."),
                                   code="closed")
        existing = Household.objects.filter(round=locked, resident=profile).first()
        if existing is not None:
            return existing
        household = Household.objects.create(
            round=locked, family_code=f"{ONLINE_PREFIX}{secrets.token_hex(5).upper()}",
            resident=profile, online_status=OnlineStatus.DRAFT,
            branch_office=profile.town.branch_office)
        audit_record(actor=actor, action="childcare.online_application.start",
                     target=household, details={"round": locked.pk})
    return household


def _check_child(household, application, child_name, child_name_kana,
                 date_of_birth, current_nursery) -> tuple[str, str]:
    name, kana = normalise_name(child_name), normalise_name(child_name_kana)
    if not name:
        raise ValidationFailed(_("The child's name is missing."), code="required",
                               field="child_name")
    if not kana:
        raise ValidationFailed(_("The child's name in kana is missing."), code="required",
                               field="child_name_kana")
    for field, value in (("child_name", name), ("child_name_kana", kana)):
        if len(value) > MAX_NAME:
            raise ValidationFailed(_("Too long (at most %(count)d characters).")
                                   % {"count": MAX_NAME}, code="too_long", field=field)
    if not KANA.match(kana):
        raise ValidationFailed(_("Write the name in hiragana or katakana."), code="not_kana",
                               field="child_name_kana")
    if date_of_birth is None:
        raise ValidationFailed(_("The date of birth is missing."), code="required",
                               field="date_of_birth")
    if date_of_birth > timezone.localdate():
        raise ValidationFailed(_("The date of birth is in the future."), code="bad_date",
                               field="date_of_birth")
    problem = birth_date_error(date_of_birth, household.round.admission_date)
    if problem:
        raise ValidationFailed(problem, code="bad_date", field="date_of_birth")
    if current_nursery is not None and not Nursery.objects.filter(
            pk=current_nursery.pk, is_active=True).exists():
        raise ValidationFailed(_("Choose a nursery from the list."), code="bad_nursery",
                               field="current_nursery")
    twin = household.applications.filter(child_name=name, date_of_birth=date_of_birth)
    if application is not None:
        twin = twin.exclude(pk=application.pk)
    if twin.exists():
        raise ValidationFailed(_("This child is already in the application."),
                               code="duplicate", field="child_name")
    return name, kana


def online_child_save(*, household: Household, application: Application | None = None,
                      child_name: str, child_name_kana: str,
                      date_of_birth: datetime.date | None,
                      current_nursery: Nursery | None, actor) -> Application:
    """Add a child to the resident's application, or change one. The age class is computed
    as of 1 April of the fiscal year of the admission date. Wishes that no longer fit (another
    age class, or the nursery the child now attends) are dropped."""
    with transaction.atomic():
        household = _lock_own(household, actor)
        if application is not None:
            application = own_application(household, application.pk)
        name, kana = _check_child(household, application, child_name, child_name_kana,
                                  date_of_birth, current_nursery)
        age = age_class(date_of_birth, household.round.admission_date)
        if application is None:
            last = household.applications.count() and max(
                int(number.rsplit("-", 1)[-1]) for number in
                household.applications.values_list("number", flat=True))
            application = Application(round=household.round, household=household,
                                      number=f"{household.family_code}-{last + 1}",
                                      resident=household.resident)
        application.child_name, application.child_name_kana = name, kana
        application.date_of_birth, application.age_class = date_of_birth, age
        application.current_nursery = current_nursery
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            raise ValidationFailed(_("This child is already in the application."),
                                   code="duplicate", field="child_name") from None
        wishes = [wish.nursery for wish in application.wishes.select_related("nursery")]
        eligible = {nursery.pk for nursery in eligible_nurseries(household.round, age)}
        kept = [nursery for nursery in wishes
                if nursery.pk in eligible and nursery.pk != application.current_nursery_id]
        if kept != wishes:
            _store_wishes(application, kept)
        _apply_claims(household, [application])
        _back_to_draft(household)
        audit_record(actor=actor, action="childcare.online_application.child_save",
                     target=application, details={"household": household.pk,
                                                  "age_class": age,
                                                  "wishes_dropped": len(wishes) - len(kept)})
    return application


def online_child_remove(*, application: Application, actor) -> None:
    """Take a child out of the resident's application (a sibling rule needs two children:
    with one left it becomes "independent")."""
    with transaction.atomic():
        household = _lock_own(application.household, actor)
        application = own_application(household, application.pk)
        audit_record(actor=actor, action="childcare.online_application.child_remove",
                     target=application, details={"household": household.pk})
        application.delete()
        if household.applications.count() < 2:
            household.sibling_rule = SiblingRule.INDEPENDENT.value
        _back_to_draft(household)


def _store_wishes(application: Application, nurseries: list[Nursery]) -> None:
    application.wishes.all().delete()
    ApplicationWish.objects.bulk_create([
        ApplicationWish(application=application, rank=rank, nursery=nursery)
        for rank, nursery in enumerate(nurseries, start=1)])


def online_wishes_save(*, application: Application, nurseries: list[Nursery | None],
                       actor) -> Application:
    """Keep a child's wished nurseries in the order given (empty lines are skipped)."""
    with transaction.atomic():
        household = _lock_own(application.household, actor)
        application = own_application(household, application.pk)
        errors = wish_errors(application, nurseries)
        if errors:
            rank, message = errors[0]
            raise ValidationFailed(message, code="bad_wish", field=f"wish_{rank}")
        given = [nursery for nursery in nurseries if nursery]
        _store_wishes(application, given)
        _back_to_draft(household)
        audit_record(actor=actor, action="childcare.online_application.wishes_save",
                     target=application, details={"household": household.pk,
                                                  "wishes": [n.code for n in given]})
    return application


def online_family_save(*, household: Household, parent1: str, parent2: str,
                       adjustments: list[str], sibling_rule: str, single_parent: bool,
                       public_assistance: bool, disability: bool, sibling_enrolled: bool,
                       resident_tax: int | None, actor) -> Household:
    """Keep what the family claims: each parent's situation and the adjustments (codes of the
    round's points table, checked by the import's rules), the sibling rule, and the facts the
    tie-break rules read (ひとり親, 生活保護, 障害, 兄弟在園, 住民税所得割額). Every child's points
    and score follow."""
    with transaction.atomic():
        household = _lock_own(household, actor)
        items = {item.code: item for item in household.round.points_table.items.order_by(
            "kind", "sort_order", "code")}
        # In the order of the points table, each once.
        order = list(items)
        adjustments = sorted(set(adjustments or []),
                             key=lambda code: (order.index(code) if code in items else
                                               len(order), code))
        _chosen, errors = points_chosen(items, parent1 or "", parent2 or "", adjustments)
        if errors:
            slot, message = errors[0]
            raise ValidationFailed(message, code="bad_points", field=slot)
        if sibling_rule not in {rule.value for rule in SiblingRule}:
            raise ValidationFailed(_("Choose one of the sibling rules."), code="bad_rule",
                                   field="sibling_rule")
        if sibling_rule != SiblingRule.INDEPENDENT \
                and household.applications.count() < 2:
            raise ValidationFailed(_("A sibling rule needs two or more children."),
                                   code="bad_rule", field="sibling_rule")
        if resident_tax is not None and not 0 <= resident_tax <= MAX_RESIDENT_TAX:
            raise ValidationFailed(_("Give the amount in yen, 0 or more."), code="bad_number",
                                   field="resident_tax")
        household.online_claims = {"parent1": parent1, "parent2": parent2 or "",
                                   "adjustments": adjustments}
        household.sibling_rule = sibling_rule
        household.single_parent, household.public_assistance = single_parent, public_assistance
        household.disability, household.sibling_enrolled = disability, sibling_enrolled
        household.resident_tax = resident_tax
        _apply_claims(household)
        _back_to_draft(household)
        audit_record(actor=actor, action="childcare.online_application.family_save",
                     target=household, details={"claims": household.online_claims,
                                                "sibling_rule": sibling_rule})
    return household


def online_application_submit(*, household: Household, actor) -> Household:
    """Send the application to the city: it waits for staff to check the documents."""
    with transaction.atomic():
        household = _lock_own(household, actor)
        if is_sent(household):
            raise ValidationFailed(_("This application is already sent."), code="bad_state")
        problems = submit_problems(household)
        if problems:
            raise ValidationFailed(problems[0], code="incomplete")
        household.online_status = OnlineStatus.SUBMITTED
        household.submitted_at = timezone.now()
        household.save(update_fields=["online_status", "submitted_at"])
        audit_record(actor=actor, action="childcare.online_application.submit",
                     target=household, details={"round": household.round_id,
                                                "children": household.applications.count()})
    return household


def online_application_withdraw(*, household: Household, actor) -> None:
    """Withdraw (or delete the draft of) the application: the household and its children's
    applications are removed; the audit log keeps that it happened."""
    with transaction.atomic():
        household = _lock_own(household, actor)
        audit_record(actor=actor, action="childcare.online_application.withdraw",
                     target=household, details={"round": household.round_id,
                                                "status": household.online_status,
                                                "children": household.applications.count()})
        household.delete()


# --- staff -------------------------------------------------------------------------------------

def _lock_for_staff(household: Household, actor) -> Household:
    if not can(actor, VERIFY_PERMISSION):
        raise PermissionDeniedError()
    round_ = AdmissionRound.objects.select_for_update().get(pk=household.round_id)
    locked = (Household.objects.select_for_update().filter(pk=household.pk)
              .exclude(online_status="").first())
    if locked is None:
        raise NotFoundError()
    locked.round = round_
    first = locked.applications.select_related("household").first()
    if first is None or not in_scope(actor, first):
        raise PermissionDeniedError()
    if round_.state not in OPEN_STATES:
        raise ValidationFailed(_("This round is already matched: its applications can no "
                                 "longer be checked or returned."), code="bad_state")
    return locked


def online_application_verify(*, household: Household, actor) -> Household:
    """Staff checked the claims against the documents (書類確認済): the application takes
    part in the matching. A draft round becomes "applications imported"."""
    with transaction.atomic():
        household = _lock_for_staff(household, actor)
        if household.online_status not in (OnlineStatus.SUBMITTED, OnlineStatus.RETURNED):
            raise ValidationFailed(_("Only a sent or returned application can be marked as "
                                     "checked."), code="bad_state")
        household.online_status = OnlineStatus.VERIFIED
        household.verified_at, household.verified_by = timezone.now(), actor
        household.return_reason = ""
        household.save(update_fields=["online_status", "verified_at", "verified_by",
                                      "return_reason"])
        round_ = household.round
        if round_.state == AdmissionRound.State.DRAFT:
            round_.state = AdmissionRound.State.IMPORTED
            round_.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, action="childcare.online_application.verify",
                     target=household, details={"round": round_.pk,
                                                "children": household.applications.count()})
    return household


def online_application_return(*, household: Household, reason: str, actor) -> Household:
    """Send the application back to the resident with a reason (e.g. a missing 就労証明書):
    it leaves the matching until the resident sends it again or staff check it. The
    resident is told after the commit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for returning the application."),
                               code="required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason is too long (at most %(count)d characters).")
                               % {"count": MAX_REASON}, code="too_long", field="reason")
    with transaction.atomic():
        household = _lock_for_staff(household, actor)
        if not is_sent(household):
            raise ValidationFailed(_("Only a sent application can be returned."),
                                   code="bad_state")
        household.online_status = OnlineStatus.RETURNED
        household.return_reason, household.returned_at = reason, timezone.now()
        household.verified_at = household.verified_by = None
        household.save(update_fields=["online_status", "return_reason", "returned_at",
                                      "verified_at", "verified_by"])
        audit_record(actor=actor, action="childcare.online_application.return",
                     target=household, purpose=reason,
                     details={"round": household.round_id})
        from ..tasks import online_return_notify

        enqueue_on_commit(online_return_notify, household_id=household.pk,
                          returned_at=household.returned_at.isoformat())
    return household


def online_run_check(round_: AdmissionRound) -> None:
    """Refuse the matching while residents can still apply or change (the window is open), or
    while sent applications wait for staff to check them: staff verify or return each
    first. Drafts never sent and returned applications do not take part."""
    if round_.applications_close_at and round_.applications_open_from \
            and timezone.now() < round_.applications_close_at:
        raise ValidationFailed(_("Online applications are open until %(close)s: run the "
                                 "matching after they close.") % {
            "close": timezone.localtime(round_.applications_close_at).strftime(
                "%Y-%m-%d %H:%M")}, code="applications_open")
    waiting = round_.households.filter(online_status=OnlineStatus.SUBMITTED).count()
    if waiting:
        raise ValidationFailed(ngettext(
            "%(count)d online application waits for the document check: mark it as checked "
            "or return it first.",
            "%(count)d online applications wait for the document check: mark each as checked "
            "or return it first.", waiting) % {"count": waiting}, code="unverified")


def online_counts(round_: AdmissionRound) -> dict[str, int]:
    """How many online applications (households) of the round are in each status."""
    counts = {status.value: 0 for status in OnlineStatus}
    for status in round_.households.exclude(online_status="").values_list("online_status",
                                                                          flat=True):
        counts[status] += 1
    return counts


# --- the reminder before the close -------------------------------------------------------------

UNSENT_STATUSES = (OnlineStatus.DRAFT, OnlineStatus.RETURNED)


def unsent_reminders_due(now=None):
    """The households to remind now: unsent (draft or returned), with children, in a round
    that takes online applications and closes within the reminder's lead time, not yet
    reminded of this close."""
    from django.conf import settings
    from django.db.models import F, Q

    now = now or timezone.now()
    lead = datetime.timedelta(hours=settings.CHILDCARE_UNSENT_REMINDER_HOURS)
    return (Household.objects.filter(
        resident__isnull=False, resident__user__is_active=True,
        online_status__in=UNSENT_STATUSES, applications__isnull=False,
        round__state__in=OPEN_STATES, round__applications_open_from__lte=now,
        round__applications_close_at__gt=now,
        round__applications_close_at__lte=now + lead)
        .filter(Q(unsent_reminded_for__isnull=True)
                | ~Q(unsent_reminded_for=F("round__applications_close_at")))
        .distinct().order_by("round__applications_close_at", "pk"))


def unsent_reminders_send(now=None) -> int:
    """Remind each due resident once per close (the notice's key is the household and the
    close). The notice goes out before the household is marked: a pass that stops between the
    two sends the same notice again, which the sender delivers once by its key. Returns how
    many residents were reminded."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from cityhall.core.notify import notify_user

    sent = 0
    for household_id in list(unsent_reminders_due(now).values_list("pk", flat=True)):
        household = (unsent_reminders_due(now).select_related("round", "resident__user")
                     .filter(pk=household_id).first())
        if household is None:
            continue  # sent, withdrawn or reminded by another pass meanwhile
        close_at = household.round.applications_close_at
        profile = household.resident
        with translation.override(profile.preferred_language or "ja"):
            subject, body = _unsent_notice(household, close_at)
        notify_user(user=profile.user, topic="childcare.online_application",
                    key=f"childcare.online_unsent:{household.pk}:{close_at.isoformat()}",
                    subject=subject, body=body,
                    url=settings.PORTAL_URL + reverse("childcare:my_application",
                                                      args=[household.round_id]))
        Household.objects.filter(pk=household.pk).update(unsent_reminded_for=close_at)
        sent += 1
    return sent


def _unsent_notice(household: Household, close_at) -> tuple[str, str]:
    close = timezone.localtime(close_at).strftime("%Y-%m-%d %H:%M")
    subject = _("Your nursery application is not sent yet")
    if household.online_status == OnlineStatus.RETURNED:
        lead = _("The city returned your nursery application for %(round)s for correction. "
                 "Correct it and send it again before %(close)s: an application not sent "
                 "by then takes no part in the selection.")
    else:
        lead = _("Your nursery application for %(round)s is saved but not sent. Send it "
                 "before %(close)s: an application not sent by then takes no part in the "
                 "selection.")
    return subject, lead % {"round": household.round.name, "close": close}
