"""The demo of childcare, loaded by `load_minato_demo`. Nursery admission (取組7): 20
nurseries, a points table with its tie-break rules, and one admission round (2027年4月入所
一次) with about 200 applications, some from sibling households and some transfers (転園).

ALL OF IT IS INVENTED and marked `is_demo`. The nurseries are named after Minato's towns
with "（デモ）": the repository holds no list of Minato's real nurseries. The points table
follows the usual shape of a Tokyo ward's 利用調整基準 (basic points per parent up to 20,
adjustments of a few points, a tie-break order of ひとり親, 生活保護, 障害, 兄弟在園, lower
住民税所得割額, lottery) but its numbers are not Minato's: Minato's current table could not be
confirmed (reference notes §1.4: only secondary summaries were found). The applications are
imported through the same CSV import as a real round, by the demo 保育課 officer.
Immunisation (取組23): a guardian's two children with their doses (`immunisation_demo_load`).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cityhall.core.demo import STAFF
from cityhall.core.models import Facility, Municipality, Town

from .matching.model import SiblingRule
from .models import AdmissionRound, Application, Household, Nursery, PointsItem, PointsTable
from .models import TieBreakRule as Rule
from .services import config, imports

ROUND_NAME = "2027年4月入所 一次（デモ）"
ADMISSION_DATE = datetime.date(2027, 4, 1)
SEED = 2027
NURSERY_TOWNS = ["芝", "芝浦", "港南", "海岸", "三田", "高輪", "白金", "白金台", "南麻布",
                 "麻布十番", "六本木", "赤坂", "元赤坂", "南青山", "北青山", "台場", "虎ノ門",
                 "新橋", "浜松町", "西麻布"]
DEMO_SOURCE = ("デモ用に作成した架空の指数表です"
               "（港区の実際の利用調整基準ではありません）。")

BASIC_ITEMS = [  # (code, label, points) — invented, in the usual shape
    ("work-20d-40h", "就労 月20日以上かつ週40時間以上", 20),
    ("work-20d-30h", "就労 月20日以上かつ週30時間以上", 18),
    ("work-16d-24h", "就労 月16日以上かつ週24時間以上", 16),
    ("work-12d-16h", "就労 月12日以上かつ週16時間以上", 14),
    ("work-48h", "就労 月48時間以上", 12),
    ("seeking", "求職中", 6),
    ("illness", "疾病（入院・常時臥床）", 20),
    ("disability", "障害（身体障害者手帳1・2級等）", 20),
    ("care", "親族の介護・看護（常時）", 18),
    ("pregnancy", "妊娠・出産", 14),
    ("study", "就学（月20日以上かつ週40時間以上）", 18),
    ("absent", "保護者がいない（ひとり親等）", 20),
]
ADJUSTMENT_ITEMS = [
    ("single-parent", "ひとり親世帯", 3),
    ("public-assistance", "生活保護世帯で就労等による自立を図る", 2),
    ("leave-return", "育児休業明けの復職", 2),
    ("unlicensed-care", "認可外保育施設等に預けて就労", 2),
    ("multiple-birth", "多胎児", 1),
    ("short-record", "就労実績2か月未満", -1),
    ("relative-can-care", "65歳未満の同居親族が保育可能", -2),
]
# Adjustments at one nursery only (施設別加点): imported as "code:nursery code".
FACILITY_ITEMS = [
    ("sibling-same", "兄弟姉妹が在園する施設", 2),
]
# The same-month sibling rules the demo draws from (its main random stream stays as it was);
# a share of the sibling households then accept different months (別月入所可), drawn from a
# stream of their own.
SAME_MONTH_RULES = [SiblingRule.SAME_FACILITY_ONLY, SiblingRule.SAME_PREFERRED,
                    SiblingRule.ALL_OR_NONE, SiblingRule.ELDER_MAY_GO_ALONE,
                    SiblingRule.YOUNGER_MAY_GO_ALONE]
STAGGERED_RULES = [SiblingRule.STAGGERED_SAME_FACILITY, SiblingRule.STAGGERED_SEPARATE]
TIE_BREAKS = [
    (Rule.Kind.FLAG_TRUE_FIRST, Rule.Field.SINGLE_PARENT, "ひとり親世帯"),
    (Rule.Kind.FLAG_TRUE_FIRST, Rule.Field.PUBLIC_ASSISTANCE, "生活保護世帯"),
    (Rule.Kind.FLAG_TRUE_FIRST, Rule.Field.DISABILITY, "障害のある方がいる世帯"),
    (Rule.Kind.FLAG_TRUE_FIRST, Rule.Field.SIBLING_ENROLLED, "兄弟姉妹が在園"),
    (Rule.Kind.VALUE_ASCENDING, Rule.Field.RESIDENT_TAX, "住民税所得割額の低い世帯"),
    (Rule.Kind.LOTTERY, Rule.Field.NONE, "抽選"),
]
AGE_WEIGHTS = [35, 40, 12, 7, 3, 3]  # 0歳児 … 5歳児
CAPACITY_RANGES = [(3, 6), (4, 9), (2, 5), (1, 4), (0, 2), (0, 2)]


def _nurseries() -> list[Nursery]:
    municipality = Municipality.objects.get(code="131032")
    nurseries = []
    for index, town_name in enumerate(NURSERY_TOWNS, start=1):
        town = Town.objects.filter(name=town_name).order_by("chome").first()
        facility, _created = Facility.objects.update_or_create(
            code=f"demo-nursery-{index:02d}", defaults={
                "municipality": municipality, "name": f"{town_name}保育園（デモ）",
                "kind": Facility.Kind.CHILDCARE, "address": f"東京都港区{town_name}（デモ）",
                "town": town, "branch_office": town.branch_office if town else None,
                "is_demo": True, "source": "invented demo data"})
        nursery, _created = Nursery.objects.update_or_create(
            code=f"N{index:03d}", defaults={"facility": facility, "sort_order": index,
                                            "is_demo": True})
        nurseries.append(nursery)
    return nurseries


def _points_table() -> PointsTable:
    table = PointsTable.objects.create(name="利用調整基準（デモ）", source=DEMO_SOURCE,
                                       valid_from=datetime.date(2026, 4, 1), is_demo=True)
    for kind, items in ((PointsItem.Kind.BASIC, BASIC_ITEMS),
                        (PointsItem.Kind.ADJUSTMENT, ADJUSTMENT_ITEMS),
                        (PointsItem.Kind.FACILITY, FACILITY_ITEMS)):
        PointsItem.objects.bulk_create([
            PointsItem(table=table, kind=kind, code=code, label=label, points=points,
                       sort_order=order) for order, (code, label, points) in enumerate(items)])
    Rule.objects.bulk_create([
        Rule(table=table, position=position, kind=kind, field=field, label=label)
        for position, (kind, field, label) in enumerate(TIE_BREAKS, start=1)])
    return table


def _capacity_rows(rng: random.Random, nurseries) -> list[list[str]]:
    rows = []
    for index, nursery in enumerate(nurseries):
        seats = [str(rng.randint(low, high)) for low, high in CAPACITY_RANGES]
        pool = ["", ""]
        if index % 4 == 3:  # every fourth nursery shares its 3–5歳児 seats
            pool = ["3-5", str(rng.randint(2, 5))]
            seats[3:] = ["", "", ""]
        rows.append([nursery.code, nursery.name, *seats, *pool])
    return rows


def _birth_date(rng: random.Random, age: int) -> datetime.date:
    first = datetime.date(ADMISSION_DATE.year - age - 1, 4, 2)
    last = min(datetime.date(ADMISSION_DATE.year - age, 4, 1),
               ADMISSION_DATE - datetime.timedelta(days=57))  # 産休明け: from 57 days
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _application_rows(rng: random.Random, nurseries, branch_codes) -> list[list[str]]:
    codes = [nursery.code for nursery in nurseries]
    popularity = [rng.choice([1, 1, 2, 3, 6]) for _code in codes]  # a few are much wanted
    basic = [code for code, _label, _points in BASIC_ITEMS if code != "absent"]
    staggered = random.Random(f"{SEED}-staggered")  # noqa: S311 - invented demo data
    rows, number = [], 0
    for family in range(1, 176):
        siblings = 2 if rng.random() < 0.12 else 1
        single = rng.random() < 0.08
        household = [
            (SiblingRule.INDEPENDENT.value if siblings == 1 else
             rng.choice([rule.value for rule in SAME_MONTH_RULES])),
            str(rng.choice([0, 30_000, 80_000, 150_000, 240_000, 400_000, 600_000])),
            "1" if single else "0", "1" if rng.random() < 0.03 else "0",
            "1" if rng.random() < 0.04 else "0", "1" if rng.random() < 0.15 else "0",
            rng.choice(branch_codes)]
        parents = [rng.choices(basic, weights=[30, 10, 6, 4, 3, 4, 1, 1, 1, 2, 1])[0]
                   for _parent in range(2)]
        if single:
            parents[1] = "absent"
        if siblings == 2 and staggered.random() < 0.4:
            household[0] = staggered.choice(STAGGERED_RULES).value
        attended = None  # with 兄弟在園, the nursery the sibling attends: the first wish
        twins = siblings == 2 and rng.random() < 0.3
        first_age = rng.choices(range(6), weights=AGE_WEIGHTS)[0]
        for child in range(siblings):
            number += 1
            age = first_age if child == 0 or twins else min(5, first_age + rng.randint(1, 3))
            current = ""
            if age >= 1 and siblings == 1 and rng.random() < 0.1:
                current = rng.choice(codes)
            choices = [code for code in codes if code != current]
            weights = [weight for code, weight in zip(codes, popularity, strict=True)
                       if code != current]
            wishes: list[str] = []
            for _wish in range(rng.randint(1, 8)):
                pick = rng.choices(choices, weights=weights)[0]
                if pick not in wishes:
                    wishes.append(pick)
            adjustments = [code for code, chance in (
                ("single-parent", 1.0 if single else 0), ("leave-return", 0.3),
                ("multiple-birth", 1.0 if twins else 0), ("short-record", 0.05),
                ("relative-can-care", 0.04)) if rng.random() < chance]
            if household[5] == "1":
                attended = attended or wishes[0]
            rows.append([
                f"D{number:04d}", f"H{family:04d}", f"デモ 児童{number:03d}", "",
                _birth_date(rng, age).isoformat(), current, *parents, ";".join(adjustments),
                *household, *wishes, *[""] * (20 - len(wishes)),
                f"sibling-same:{attended}" if attended else ""])
    return rows


def _csv(columns, rows) -> bytes:
    from .services.tables import template_csv

    return template_csv(columns, rows)


def admissions_demo_load() -> str:
    if AdmissionRound.objects.filter(name=ROUND_NAME, is_demo=True).exists():
        return "childcare admissions demo already loaded"
    officer = get_user_model().objects.get(email=STAFF["hoiku_officer"].email)
    rng = random.Random(SEED)  # noqa: S311 - invented demo data, reproducible
    with transaction.atomic():
        nurseries = _nurseries()
        round_ = config.round_save(round=AdmissionRound(
            name=ROUND_NAME, admission_date=ADMISSION_DATE, points_table=_points_table(),
            lottery_seed=SEED, is_demo=True), actor=officer)
        imports.capacities_import(round=round_, actor=officer, raw=_csv(
            imports.CAPACITY_COLUMNS, _capacity_rows(rng, nurseries)))
        from cityhall.core.models import BranchOffice

        branch_codes = list(BranchOffice.objects.order_by("code").values_list("code",
                                                                              flat=True))
        count = imports.applications_import(round=round_, actor=officer, raw=_csv(
            imports.APPLICATION_COLUMNS, _application_rows(rng, nurseries, branch_codes)))
        Household.objects.filter(round=round_).update(is_demo=True)
        Application.objects.filter(round=round_).update(is_demo=True)
    return f"{len(nurseries)} demo nurseries, 1 demo admission round with {count} applications"


# -- Immunisation records (取組23, imm-parents) -------------------------------------------------
# The demo guardian 芝浦 美香 (core.demo RESIDENTS["mika"], 港南4丁目) keeps two children's
# records. ALL INVENTED and marked is_demo. Dates are relative to the day the demo is loaded so
# that the plan always shows the same situations: the infant is mid-series with the third 5種混合
# dose overdue (still free) and the third 肺炎球菌 dose planned in a week; the elder child has
# the infant series complete, the 日本脳炎 1期追加 overdue and MR 2期 near (its 年長 year).

INFANT = ("芝浦 ひなた（デモ）", "シバウラ ヒナタ", "F", 160)  # name, kana, sex, age in days
ELDER = ("芝浦 そら（デモ）", "シバウラ ソラ", "M", 5 * 365 + 200)
# (vaccine, product, days after birth)
INFANT_DOSES = [
    ("hepb", "", 62), ("rota", "rota1", 62), ("dpt_ipv_hib", "", 62), ("pcv", "pcv20", 62),
    ("hepb", "", 90), ("rota", "rota1", 90), ("dpt_ipv_hib", "", 90), ("pcv", "pcv20", 90),
]
ELDER_DOSES = [
    ("hepb", "", 65), ("hepb", "", 95), ("hepb", "", 215),
    ("rota", "rota5", 65), ("rota", "rota5", 95), ("rota", "rota5", 125),
    ("dpt_ipv", "", 95), ("dpt_ipv", "", 125), ("dpt_ipv", "", 155), ("dpt_ipv", "", 555),
    ("hib", "", 65), ("hib", "", 95), ("hib", "", 125), ("hib", "", 375),
    ("pcv", "pcv13", 65), ("pcv", "pcv13", 95), ("pcv", "pcv13", 125), ("pcv", "pcv13", 375),
    ("bcg", "", 155), ("mr", "", 375), ("varicella", "", 375), ("varicella", "", 575),
    ("je", "", 1100), ("je", "", 1110),
]
DEMO_CLINIC = "港南こどもクリニック（デモ）"


def immunisation_demo_load() -> str:
    from cityhall.core.demo import RESIDENTS

    from .models import ChildProfile
    from .services import immunisation

    user = get_user_model().objects.filter(email=RESIDENTS["mika"].email).first()
    if user is None or not hasattr(user, "resident_profile"):
        return "immunisation demo skipped: the demo guardian is missing"
    if ChildProfile.objects.filter(guardian=user.resident_profile, is_demo=True).exists():
        return "immunisation demo already loaded"
    today = timezone.localdate()
    with transaction.atomic():
        children = []
        for (name, kana, sex, age), doses in ((INFANT, INFANT_DOSES),
                                              (ELDER, ELDER_DOSES)):
            born = today - datetime.timedelta(days=age)
            child = immunisation.child_add(actor=user, name=name, name_kana=kana, sex=sex,
                                           date_of_birth=born, today=today)
            for vaccine, product, after in doses:
                immunisation.dose_add(child=child, actor=user, vaccine=vaccine,
                                      product=product, clinic=DEMO_CLINIC, today=today,
                                      given_on=born + datetime.timedelta(days=after))
            children.append(child)
        ChildProfile.objects.filter(pk__in=[c.pk for c in children]).update(is_demo=True)
        immunisation.plan_reschedule(child=children[0], actor=user, series="pcv",
                                     new_date=today + datetime.timedelta(days=7), today=today)
    return "2 demo children with their immunisation records"
