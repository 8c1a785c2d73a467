"""Audited saves of what 保育課 configures (取組7): nurseries, points tables with their items and
tie-break rules, admission rounds. The back office (admin) calls these."""

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import PermissionDeniedError, ValidationFailed
from cityhall.core.models import Facility
from cityhall.core.permissions import can

from ..models import AdmissionRound, Nursery, PointsItem, PointsTable, TieBreakRule


def _check(actor, model, obj) -> None:
    action = "change" if obj.pk else "add"
    if not can(actor, f"childcare.{action}_{model._meta.model_name}"):
        raise PermissionDeniedError()


def nursery_save(*, nursery: Nursery, actor) -> Nursery:
    _check(actor, Nursery, nursery)
    if nursery.facility.kind != Facility.Kind.CHILDCARE:
        raise ValidationFailed(_("A nursery must be a childcare facility."),
                               code="bad_facility", field="facility")
    with transaction.atomic():
        nursery.save()
        audit_record(actor=actor, action="childcare.nursery.save", target=nursery,
                     details={"code": nursery.code, "facility": nursery.facility.code,
                              "active": nursery.is_active})
    return nursery


def points_table_save(*, table: PointsTable, actor) -> PointsTable:
    _check(actor, PointsTable, table)
    with transaction.atomic():
        table.save()
        audit_record(actor=actor, action="childcare.points_table.save", target=table,
                     details={"name": table.name, "valid_from": table.valid_from})
    return table


def _table_in_use(table: PointsTable) -> bool:
    """A table whose rounds are matched keeps its rules: the results were computed with them."""
    return table.rounds.exclude(state__in=[AdmissionRound.State.DRAFT,
                                           AdmissionRound.State.IMPORTED]).exists()


def points_item_save(*, item: PointsItem, actor) -> PointsItem:
    _check(actor, PointsItem, item)
    if _table_in_use(item.table):
        raise ValidationFailed(_("This points table was used for a matched round: copy it to "
                                 "change its items."), code="table_in_use")
    if item.kind == PointsItem.Kind.BASIC and item.points < 0:
        raise ValidationFailed(_("Basic points cannot be negative."), code="bad_points",
                               field="points")
    with transaction.atomic():
        item.save()
        audit_record(actor=actor, action="childcare.points_item.save", target=item,
                     details={"table": item.table_id, "code": item.code, "kind": item.kind,
                              "points": item.points})
    return item


def tie_break_rule_save(*, rule: TieBreakRule, actor) -> TieBreakRule:
    _check(actor, TieBreakRule, rule)
    if _table_in_use(rule.table):
        raise ValidationFailed(_("This points table was used for a matched round: copy it to "
                                 "change its tie-break rules."), code="table_in_use")
    if rule.kind == TieBreakRule.Kind.LOTTERY:
        rule.field = ""
    elif not rule.field:
        raise ValidationFailed(_("Choose the field the rule reads."), code="bad_rule",
                               field="field")
    elif rule.field in (TieBreakRule.Field.RESIDENT_TAX, TieBreakRule.Field.BASIC_POINTS,
                        TieBreakRule.Field.CHILDREN_APPLYING) \
            and rule.kind == TieBreakRule.Kind.FLAG_TRUE_FIRST:
        raise ValidationFailed(_("This field is a number: order it by lower or higher value."),
                               code="bad_rule", field="kind")
    with transaction.atomic():
        rule.save()
        audit_record(actor=actor, action="childcare.tie_break_rule.save", target=rule,
                     details={"table": rule.table_id, "position": rule.position,
                              "kind": rule.kind, "field": rule.field})
    return rule


def round_save(*, round: AdmissionRound, actor) -> AdmissionRound:
    """Create or change a round's settings. The admission date is the first of a month; the
    lottery seed and the points table are fixed once applications are matched."""
    _check(actor, AdmissionRound, round)
    if round.admission_date.day != 1:
        raise ValidationFailed(_("The admission date must be the first day of a month."),
                               code="bad_date", field="admission_date")
    # Online applications (取組7): both ends of the window, or neither.
    opens, closes = round.applications_open_from, round.applications_close_at
    if (opens is None) != (closes is None):
        raise ValidationFailed(_("Give both the opening and the closing of online "
                                 "applications, or neither."), code="bad_window",
                               field="applications_close_at")
    if opens is not None and closes <= opens:
        raise ValidationFailed(_("Online applications must close after they open."),
                               code="bad_window", field="applications_close_at")
    if round.pk:
        before = AdmissionRound.objects.get(pk=round.pk)
        if before.state not in (AdmissionRound.State.DRAFT, AdmissionRound.State.IMPORTED) \
                and (before.lottery_seed != round.lottery_seed
                     or before.points_table_id != round.points_table_id
                     or before.admission_date != round.admission_date):
            raise ValidationFailed(_("This round is matched: its date, points table and "
                                     "lottery seed can no longer change."), code="bad_state")
        # The state moves only through the services that import, match and confirm.
        round.state = before.state
        # So does the publication (services/publication.py).
        round.published_at, round.published_by_id = before.published_at, before.published_by_id
    else:
        round.created_by = actor if getattr(actor, "pk", None) else None
        round.state = AdmissionRound.State.DRAFT
    with transaction.atomic():
        round.save()
        audit_record(actor=actor, action="childcare.round.save", target=round,
                     details={"name": round.name, "admission_date": round.admission_date,
                              "points_table": round.points_table_id,
                              "lottery_seed": round.lottery_seed,
                              "applications_open_from": round.applications_open_from,
                              "applications_close_at": round.applications_close_at})
    return round
