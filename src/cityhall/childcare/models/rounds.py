"""One admission round (募集回) of nursery admission (取組7): its seats, its households and
applications (personal data of children: read through `permissions.access_application`), and
the results of the matching runs."""

from django.conf import settings
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..matching.model import AGE_CLASSES, SiblingRule
from .config import Nursery, PointsItem, PointsTable


def _age_class_label(age: int) -> str:
    return gettext("%(age)d-year-old class") % {"age": age}


# Lazy, so that the label follows the language of the request (and migrations stay stable).
AGE_CLASS_CHOICES = [(age, lazy(_age_class_label, str)(age)) for age in AGE_CLASSES]


class AdmissionRound(models.Model):  # 募集回 (e.g. 2027年4月入所 一次)
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IMPORTED = "imported", _("Applications imported")
        MATCHED = "matched", _("Matched")
        CONFIRMED = "confirmed", _("Confirmed")
        PUBLISHED = "published", _("Results sent")

    name = models.CharField(_("name"), max_length=100)
    admission_date = models.DateField(
        _("admission date"), help_text=_("The first day of a month (1 April for the spring "
                                         "rounds)."))
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.DRAFT)
    points_table = models.ForeignKey(PointsTable, on_delete=models.PROTECT,
                                     related_name="rounds", verbose_name=_("points table"))
    lottery_seed = models.PositiveIntegerField(
        _("lottery seed"), default=0,
        help_text=_("Decides, reproducibly, between children the tie-break rules leave "
                    "equal."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["-admission_date", "name"]
        permissions = [
            ("import_round", _("Can import the capacities and applications of a round")),
            ("run_matching", _("Can run the matching of a round and store its result")),
        ]
        verbose_name = _("admission round")
        verbose_name_plural = _("admission rounds")

    def __str__(self):
        return self.name


class RoundCapacity(models.Model):  # 募集人数 per nursery and age class
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="capacities")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")
    age_class = models.PositiveSmallIntegerField(_("age class"), choices=AGE_CLASS_CHOICES)
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        ordering = ["round", "nursery", "age_class"]
        constraints = [models.UniqueConstraint(fields=["round", "nursery", "age_class"],
                                               name="childcare_capacity_unique")]

    def __str__(self):
        return f"{self.nursery_id}:{self.age_class}={self.seats}"


class RoundSeatPool(models.Model):
    """Seats of one nursery shared by several age classes (e.g. 3–5歳児 together: 10)."""

    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="seat_pools")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")
    age_classes = models.JSONField(_("age classes"))  # sorted list of ints
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        ordering = ["round", "nursery", "pk"]

    def __str__(self):
        return f"{self.nursery_id}:{self.age_classes}={self.seats}"


class Household(models.Model):  # 世帯 (of one round)
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="households")
    family_code = models.CharField(_("household number"), max_length=30)  # 世帯番号
    sibling_rule = models.CharField(_("sibling rule"), max_length=30,
                                    choices=[(rule.value, rule.value) for rule in SiblingRule],
                                    default=SiblingRule.INDEPENDENT.value)
    resident_tax = models.PositiveBigIntegerField(
        _("resident tax, income levy (yen)"), null=True, blank=True)  # 住民税所得割額
    single_parent = models.BooleanField(_("single parent"), default=False)  # ひとり親
    public_assistance = models.BooleanField(_("public assistance"), default=False)  # 生活保護
    disability = models.BooleanField(_("disability in the household"), default=False)
    sibling_enrolled = models.BooleanField(_("a sibling attends a nursery"), default=False)
    # The branch office of the household's address: what scopes staff who are not 保育課.
    branch_office = models.ForeignKey("core.BranchOffice", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["round", "family_code"]
        constraints = [models.UniqueConstraint(fields=["round", "family_code"],
                                               name="childcare_household_unique")]

    def __str__(self):
        return self.family_code


class Application(models.Model):  # 申込 (one child)
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="applications")
    household = models.ForeignKey(Household, on_delete=models.CASCADE,
                                  related_name="applications")
    number = models.CharField(_("application number"), max_length=30)  # 申込番号
    child_name = models.CharField(_("child's name"), max_length=100)
    child_name_kana = models.CharField(_("child's name (kana)"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    age_class = models.PositiveSmallIntegerField(_("age class"), choices=AGE_CLASS_CHOICES)
    # 転園: the nursery the child attends now.
    current_nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+")
    # 指数 = 基準指数 (both parents) + 調整指数, computed at import; the breakdown explains it.
    score = models.SmallIntegerField(_("score"), default=0)
    basic_points = models.SmallIntegerField(_("basic points"), default=0)
    adjustment_points = models.SmallIntegerField(_("adjustment points"), default=0)
    score_breakdown = models.JSONField(_("score breakdown"), default=list, blank=True)
    # A resident who applied online (later); staff imports leave it empty.
    resident = models.ForeignKey("core.ResidentProfile", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["round", "number"]
        constraints = [models.UniqueConstraint(fields=["round", "number"],
                                               name="childcare_application_unique")]
        permissions = [
            ("view_all_applications", _("Can read the applications of every branch office")),
        ]
        verbose_name = _("nursery application")
        verbose_name_plural = _("nursery applications")

    def __str__(self):
        return self.number

    def wish_codes(self) -> tuple[str, ...]:
        return tuple(wish.nursery.code for wish in self.wishes.all())


class ApplicationWish(models.Model):  # 希望 (rank 1 = first choice)
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="wishes")
    rank = models.PositiveSmallIntegerField(_("rank"))
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"],
                                    name="childcare_wish_rank_unique"),
            models.UniqueConstraint(fields=["application", "nursery"],
                                    name="childcare_wish_nursery_unique"),
        ]

    def __str__(self):
        return f"{self.application_id}#{self.rank}"


class ApplicationPoints(models.Model):
    """A points item chosen for an application: a parent's situation (parent 1 or 2), an
    adjustment (parent empty), or an adjustment at one nursery (`nursery` set: the item is
    of kind `facility` and counts only at that nursery, not in the application's score)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="points")
    parent = models.PositiveSmallIntegerField(_("parent"), null=True, blank=True)
    item = models.ForeignKey(PointsItem, on_delete=models.PROTECT, related_name="+")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("nursery"))

    class Meta:
        ordering = ["application", "parent", "pk"]

    def __str__(self):
        return f"{self.application_id}:{self.item_id}"


class MatchingRun(models.Model):
    """One stored result of the matching engine for a round (a re-run adds another)."""

    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE, related_name="runs")
    solver = models.CharField(_("solver"), max_length=40)
    status = models.CharField(_("status"), max_length=20)
    seconds = models.FloatField(_("seconds"), default=0)
    placed = models.PositiveIntegerField(_("children placed"), default=0)
    blocking_coalitions = models.JSONField(_("blocking coalitions"), default=list, blank=True)
    run_at = models.DateTimeField(_("run at"))
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")

    class Meta:
        ordering = ["round", "-run_at", "-pk"]
        get_latest_by = ["run_at", "pk"]

    def __str__(self):
        return f"{self.solver} {self.run_at:%Y-%m-%d %H:%M}"


class Placement(models.Model):  # 入所内定 (or 不承諾) of one application in one run
    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="placements")
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="placements")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")  # None: not admitted
    kept_current = models.BooleanField(_("keeps the current nursery"), default=False)
    in_blocking_coalition = models.BooleanField(default=False)
    # A staff override (with its reason) keeps what the engine gave in `original_nursery`.
    original_nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+")
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    override_reason = models.TextField(_("reason for the change"), blank=True)
    overridden_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        ordering = ["run", "application"]
        constraints = [models.UniqueConstraint(fields=["run", "application"],
                                               name="childcare_placement_unique")]

    def __str__(self):
        return f"{self.application_id}->{self.nursery_id}"
