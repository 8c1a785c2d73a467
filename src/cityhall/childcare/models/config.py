"""What staff of 保育課 configure for nursery admission (保育所入所選考, 取組7): the nurseries that
take part, the points table of the 利用調整基準 (基準指数 per parent, 調整指数) and the ordered
tie-break rules (同一指数の場合の優先順位) that go with it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Nursery(models.Model):  # 保育施設 (認可保育園, 認定こども園, 小規模保育 ...)
    """A nursery taking part in admission rounds. Its address, place and name are those of a
    core `Facility` (kind childcare); `code` is the 施設コード used in imports and given to the
    matching engine."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Ward-run licensed nursery (区立認可保育園)")
        PRIVATE = "private", _("Private licensed nursery (私立認可保育園)")
        KODOMOEN = "kodomoen", _("Certified centre for early childhood (認定こども園)")
        SMALL = "small", _("Small-scale nursery (小規模保育)")

    facility = models.OneToOneField("core.Facility", on_delete=models.PROTECT,
                                    related_name="nursery", verbose_name=_("facility"))
    code = models.SlugField(_("nursery code"), max_length=20, unique=True,
                            help_text=_("The code used in import files (施設コード)."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.PUBLIC)
    is_active = models.BooleanField(_("takes part in admission rounds"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("nursery")
        verbose_name_plural = _("nurseries")

    def __str__(self):
        return f"{self.code} {self.facility.name}"

    @property
    def name(self) -> str:
        return self.facility.name


class PointsTable(models.Model):  # 利用調整基準 (指数表)
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(
        _("source"), max_length=300, blank=True,
        help_text=_("Where the table comes from (the municipality's guide), or that it is "
                    "invented for the demo."))
    is_demo = models.BooleanField(_("demo record"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from", "name"]
        verbose_name = _("points table")
        verbose_name_plural = _("points tables")

    def __str__(self):
        return self.name


class PointsItem(models.Model):
    """One line of the points table: a parent's situation (基準指数, e.g. 月20日以上かつ週40時間
    以上の就労 = 20), an adjustment of the child's score (調整指数, e.g. ひとり親 +3), or an
    adjustment that counts at one nursery only (施設別調整指数, e.g. 兄弟姉妹が在園する施設 +2,
    連携施設 +3): given in the import with the nursery it applies to, it raises the child's
    score at that nursery and nowhere else (the matching engine's b(c,d))."""

    class Kind(models.TextChoices):
        BASIC = "basic", _("Basic points per parent (基準指数)")
        ADJUSTMENT = "adjustment", _("Adjustment (調整指数)")
        FACILITY = "facility", _("Adjustment at one nursery (施設別調整指数)")

    table = models.ForeignKey(PointsTable, on_delete=models.CASCADE, related_name="items",
                              verbose_name=_("points table"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=30,
                            help_text=_("The code used in import files."))
    label = models.CharField(_("label"), max_length=200)
    points = models.SmallIntegerField(_("points"))
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["table", "kind", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"],
                                               name="childcare_points_item_code_unique")]
        verbose_name = _("points item")
        verbose_name_plural = _("points items")

    def __str__(self):
        return f"{self.code} {self.label} ({self.points:+d})"


class TieBreakRule(models.Model):  # 同一指数の場合の優先順位
    """One step of the ordered tie-break that decides between children of equal score. The
    rules are read in `position` order; a seeded lottery decides what they leave equal
    (`services.priority`)."""

    class Kind(models.TextChoices):
        FLAG_TRUE_FIRST = "flag_true_first", _("Yes before no")
        VALUE_ASCENDING = "value_ascending", _("Lower value first")
        VALUE_DESCENDING = "value_descending", _("Higher value first")
        LOTTERY = "lottery", _("Seeded lottery (抽選)")

    class Field(models.TextChoices):
        SINGLE_PARENT = "single_parent", _("Single-parent household (ひとり親)")
        PUBLIC_ASSISTANCE = "public_assistance", _("Public assistance (生活保護)")
        DISABILITY = "disability", _("Disability in the household (障害)")
        SIBLING_ENROLLED = "sibling_enrolled", _("A sibling attends a nursery (兄弟在園)")
        RESIDENT_TAX = "resident_tax", _("Resident tax, income levy (住民税所得割額)")
        BASIC_POINTS = "basic_points", _("Basic points (基準指数)")
        CHILDREN_APPLYING = "children_applying", _("Children of the household applying")
        NONE = "", _("(none: lottery)")

    table = models.ForeignKey(PointsTable, on_delete=models.CASCADE,
                              related_name="tie_break_rules", verbose_name=_("points table"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    field = models.CharField(_("field read"), max_length=30, choices=Field.choices,
                             blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        ordering = ["table", "position"]
        constraints = [models.UniqueConstraint(fields=["table", "position"],
                                               name="childcare_tie_break_position_unique")]
        verbose_name = _("tie-break rule")
        verbose_name_plural = _("tie-break rules")

    def __str__(self):
        return f"{self.position}. {self.label or self.get_field_display()}"
