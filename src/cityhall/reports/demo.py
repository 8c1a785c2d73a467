"""Invented demo street-problem reports (取組13), loaded by `load_minato_demo`.

About forty reports across the categories and the five branch offices' areas, each a few
metres from a real designated shelter (国土地理院 data), so that the nearest-place rule gives
them that shelter's town. Their texts, reporters and dates are invented and every report is
marked `is_demo`; the dates are counted back from the day the demo is loaded, so the queue
always shows a mix of reports on time, due soon and overdue. They are filed and moved through
the same services as real ones (with the demo street-reports staff as actors), so the
history and the audit log look as they would.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from cityhall.core.demo import DEMO_DOMAIN, STAFF
from cityhall.core.errors import CityhallError
from cityhall.core.models import Facility

from .models import Report, ReportUpdate, ServiceCategory
from .services.reports import report_create, report_transition
from .services.triage import report_assign, report_merge, report_moderate

# A few metres north-east of the shelter: still nearest to it.
OFFSET = 0.00004


@dataclass(frozen=True)
class DemoReport:
    code: str
    days_ago: float
    status: str  # the status it ends in ("duplicate": merged into the previous one)
    description: str
    public_description: str = ""
    reply: str = ""
    attributes: tuple = ()
    contact: str = ""  # "name|email|phone"
    ack_hours: float = 5
    fix_days: float = 4


S = Report.Status
DEMO_REPORTS = [
    DemoReport("road-surface", 0.2, S.NEW, "学校の前の車道に直径30cmくらいの穴があいていて、"
               "自転車がよけて走っています。", attributes=(("danger", "yes"),),
               contact="港 一郎|ichiro@" + DEMO_DOMAIN),
    DemoReport("road-surface", 1.4, S.NEW, "交差点のマンホールのふたが少し浮いていて、"
               "車が通るたびに大きな音がします。", attributes=(("danger", "no"),)),
    DemoReport("road-surface", 3, S.ACKNOWLEDGED, "バス停の近くのアスファルトが割れて段差になって"
               "います。", "バス停付近の車道のアスファルトに割れと段差があります。",
               "現地を確認しました。補修の手配をしています。", (("danger", "no"),), ack_hours=3),
    DemoReport("road-surface", 9, S.IN_PROGRESS, "坂道の途中が陥没しています。雨の日は水たまりに"
               "なります。", "坂道の途中に陥没があり、雨の日に水がたまります。",
               "業者に補修を依頼しました。来週工事の予定です。", (("danger", "yes"),),
               ack_hours=30),
    DemoReport("road-surface", 21, S.FIXED, "車道の白線の横に深いひび割れがあります。",
               "車道のひび割れ。", "舗装を補修しました。ご連絡ありがとうございました。",
               (("danger", "no"),), ack_hours=2, fix_days=6),
    DemoReport("road-surface", 20, S.DUPLICATE, "白線の横のひび、前にも誰か連絡していると思います"
               "が念のため。", attributes=(("danger", "no"),),
               contact="麻布 次郎|jiro@" + DEMO_DOMAIN),
    DemoReport("pavement", 2, S.ACKNOWLEDGED, "歩道のタイルが何枚か外れていて、ベビーカーの車輪が"
               "はまりました。", "歩道のタイルが外れています。",
               "確認しました。危険防止の表示をしました。", (("danger", "yes"),), ack_hours=1),
    DemoReport("pavement", 6, S.NEW, "点字ブロックが欠けています。",
               attributes=(("danger", "yes"),),
               contact="高輪 花|hana@" + DEMO_DOMAIN + "|090-1234-5678"),
    DemoReport("pavement", 16, S.IN_PROGRESS, "街路樹の根で歩道が盛り上がって、つまずきそうに"
               "なります。", "街路樹の根で歩道が盛り上がっています。",
               "樹木の担当と調整しています。", (("danger", "yes"),), ack_hours=20),
    DemoReport("pavement", 35, S.FIXED, "歩道の縁石が割れて車道側に飛び出しています。",
               "歩道の縁石の破損。", "縁石を交換しました。", (("danger", "no"),), fix_days=9),
    DemoReport("streetlight", 0.5, S.NEW, "公園の入口の街灯が夜ずっと消えています。",
               attributes=(("state", "dark"), ("pole-number", "港-芝-1024"))),
    DemoReport("streetlight", 2.5, S.ACKNOWLEDGED, "街灯がチカチカ点滅しています。",
               "街灯が点滅しています。", "確認しました。電球の交換を手配します。",
               (("state", "flicker"),), ack_hours=40),
    DemoReport("streetlight", 12, S.FIXED, "昼間も街灯がついたままです。", "昼間も点灯している"
               "街灯。", "センサーを交換しました。", (("state", "day"),), ack_hours=6,
               fix_days=3),
    DemoReport("streetlight", 40, S.FIXED, "車がぶつかったようで街灯の柱が曲がっています。",
               "街灯の柱が曲がっています。", "柱を交換しました。", (("state", "damaged"),),
               ack_hours=1, fix_days=12),
    DemoReport("streetlight", 5, S.IN_PROGRESS, "坂の途中の街灯が2本続けて消えています。暗くて"
               "怖いです。", "坂の途中の街灯2本が消えています。", "部品を取り寄せています。",
               (("state", "dark"),), ack_hours=10),
    DemoReport("traffic-sign", 4, S.ACKNOWLEDGED, "カーブミラーの向きがずれていて、車が見え"
               "ません。", "カーブミラーの向きがずれています。", "確認しました。",
               (("danger", "yes"),), ack_hours=12),
    DemoReport("traffic-sign", 25, S.NOT_RESPONSIBLE, "国道の標識が傾いています。",
               "国道の標識の傾き。", "国道の標識は国の管理です。東京国道事務所に連絡しました。",
               (("danger", "no"),), ack_hours=8),
    DemoReport("traffic-sign", 8, S.NEW, "ガードレールが壊れて歩道側にはみ出しています。",
               attributes=(("danger", "yes"),)),
    DemoReport("park-equipment", 1, S.NEW, "ブランコの鎖が片方外れかけています。",
               attributes=(("danger", "yes"), ("park-name", "児童遊園")),
               contact="芝 さくら|sakura@" + DEMO_DOMAIN),
    DemoReport("park-equipment", 7, S.IN_PROGRESS, "公園の水飲み場の水が止まりません。",
               "公園の水飲み場の水が止まりません。", "業者を手配しました。",
               (("danger", "no"),), ack_hours=4),
    DemoReport("park-equipment", 30, S.FIXED, "すべり台の手すりのねじがゆるんでいます。",
               "すべり台の手すりのゆるみ。", "ねじを締め直し、点検しました。",
               (("danger", "yes"),), ack_hours=2, fix_days=2),
    DemoReport("park-equipment", 18, S.ACKNOWLEDGED, "ベンチの板が割れています。",
               "ベンチの板の割れ。", "確認しました。", (("danger", "no"),), ack_hours=50),
    DemoReport("fallen-tree", 0.3, S.NEW, "強風で大きな枝が歩道に落ちています。",
               attributes=(("danger", "yes"),), contact="赤坂 健|ken@" + DEMO_DOMAIN),
    DemoReport("fallen-tree", 3, S.IN_PROGRESS, "街路樹の枝が信号を隠しています。",
               "街路樹の枝が信号を隠しています。", "剪定の手配をしました。",
               (("danger", "yes"),), ack_hours=2),
    DemoReport("fallen-tree", 14, S.FIXED, "落ち葉で側溝が詰まって水があふれています。",
               "落ち葉で側溝が詰まっています。", "清掃しました。", (("danger", "no"),),
               ack_hours=3, fix_days=1),
    DemoReport("illegal-dumping", 0.8, S.NEW, "電柱の横に冷蔵庫が捨てられています。",
               attributes=(("amount", "large"),)),
    DemoReport("illegal-dumping", 4, S.ACKNOWLEDGED, "集積所に分別されていないごみ袋が何日も"
               "置かれています。", "集積所に分別されていないごみ袋が置かれています。",
               "確認しました。警告の表示をしました。", (("amount", "bag"),), ack_hours=20),
    DemoReport("illegal-dumping", 11, S.FIXED, "公園の植え込みに自転車の部品や段ボールが捨て"
               "られています。", "公園の植え込みへの不法投棄。", "回収しました。",
               (("amount", "items"),), ack_hours=5, fix_days=2),
    DemoReport("illegal-dumping", 45, S.FIXED, "空き地にタイヤが4本捨てられています。",
               "空き地のタイヤ。", "回収しました。", (("amount", "items"),), ack_hours=70,
               fix_days=10),
    DemoReport("graffiti", 2, S.NEW, "高架下の壁にスプレーで落書きされています。"),
    DemoReport("graffiti", 19, S.IN_PROGRESS, "公衆トイレの壁に落書きがあります。",
               "公衆トイレの壁の落書き。", "消去作業の日程を調整しています。", ack_hours=30),
    DemoReport("graffiti", 50, S.FIXED, "案内板に落書きされています。", "案内板の落書き。",
               "消去しました。", ack_hours=12, fix_days=20),
    DemoReport("abandoned-bicycle", 6, S.ACKNOWLEDGED, "駅前の歩道に同じ自転車が1か月以上"
               "置かれています。", "駅前の歩道の放置自転車。", "警告札を付けました。",
               ack_hours=24),
    DemoReport("abandoned-bicycle", 28, S.FIXED, "パンクした自転車が道路わきに放置されています。",
               "放置自転車。", "撤去しました。", ack_hours=48, fix_days=15),
    DemoReport("abandoned-bicycle", 1.5, S.NEW, "マンションの前の道にバイクが放置されています。"),
    DemoReport("other", 3.5, S.NEW, "側溝のふたががたがたして音がします。",
               contact="白金 学|manabu@" + DEMO_DOMAIN),
    DemoReport("other", 9, S.NOT_RESPONSIBLE, "マンションの敷地内の私道に穴があります。",
               "私道の穴。", "私道は所有者の管理となるため、区では補修できません。",
               ack_hours=10),
    DemoReport("other", 22, S.FIXED, "公園のトイレの照明が切れています。", "公園のトイレの照明。",
               "交換しました。", ack_hours=5, fix_days=3),
    DemoReport("road-surface", 13, S.NEW, "歩道橋の階段のすべり止めがはがれています。",
               attributes=(("danger", "yes"),)),
    DemoReport("pavement", 33, S.IN_PROGRESS, "歩道の排水ますのふたが割れています。",
               "歩道の排水ますのふたの割れ。", "交換部品を発注しました。",
               (("danger", "yes"),), ack_hours=15),
]


def _demo_places() -> list[Facility]:
    """Real designated shelters, taken in turn from each branch office's area."""
    by_office: dict[int, list[Facility]] = {}
    for facility in Facility.objects.filter(
            kind=Facility.Kind.SHELTER, town__isnull=False, latitude__isnull=False,
            longitude__isnull=False).select_related("town").order_by("code"):
        by_office.setdefault(facility.town.branch_office_id, []).append(facility)
    places, offices = [], [by_office[key] for key in sorted(by_office)]
    index = 0
    while offices and len(places) < len(DEMO_REPORTS):
        for facilities in offices:
            if index < len(facilities):
                places.append(facilities[index])
        index += 1
        if all(index >= len(facilities) for facilities in offices):
            index = 0
    return places[:len(DEMO_REPORTS)]


def _persona(key: str):
    return get_user_model().objects.filter(email=STAFF[key].email).first()


def reports_demo_load(now: datetime.datetime | None = None) -> str:
    """Load the demo reports once (idempotent: a second run adds nothing)."""
    if Report.objects.filter(is_demo=True).exists():
        return "demo reports already loaded"
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    if not categories:
        return "no report categories: load the reference data first"
    now = now or timezone.now()
    manager, officer = _persona("roads_manager"), _persona("roads_shiba")
    places = _demo_places()
    filed, previous = 0, {}
    for number, (demo, place) in enumerate(zip(DEMO_REPORTS, places, strict=False)):
        category = categories.get(demo.code)
        if category is None:
            continue
        created = now - datetime.timedelta(days=demo.days_ago, minutes=number * 7)
        name, email, phone = ([*demo.contact.split("|"), "", "", ""])[:3]
        try:
            report = report_create(
                category=category, description=demo.description,
                latitude=float(place.latitude) + OFFSET,
                longitude=float(place.longitude) + OFFSET,
                attributes=dict(demo.attributes), contact_name=name, contact_email=email,
                contact_phone=phone, source=Report.Source.WEB if number % 4 else
                Report.Source.STAFF, actor=None, is_demo=True, now=created)
        except CityhallError:
            continue
        filed += 1
        _demo_progress(report, demo, created, now, manager, officer, previous.get(demo.code))
        previous[demo.code] = report
    # The history is invented: nobody is to be told of it.
    ReportUpdate.objects.filter(report__is_demo=True, notified_at__isnull=True).update(
        notified_at=F("created_at"))
    return f"{filed} demo street-problem reports"


def _demo_progress(report, demo, created, now, manager, officer, previous) -> None:
    acknowledged = created + datetime.timedelta(hours=demo.ack_hours)
    if demo.status == S.DUPLICATE:
        if previous is not None and manager is not None:
            report_merge(report=report, into=previous, actor=manager,
                         public_note="同じ場所の報告と一つにしました。", now=acknowledged)
        return
    if demo.public_description and manager is not None:
        report_moderate(report=report, public_description=demo.public_description,
                        is_public=True, public_photo_ids=[], actor=manager,
                        now=min(acknowledged, now))
    if demo.status == S.NEW:
        return
    steps = {S.ACKNOWLEDGED: [S.ACKNOWLEDGED], S.IN_PROGRESS: [S.ACKNOWLEDGED, S.IN_PROGRESS],
             S.FIXED: [S.ACKNOWLEDGED, S.IN_PROGRESS, S.FIXED],
             S.NOT_RESPONSIBLE: [S.ACKNOWLEDGED, S.NOT_RESPONSIBLE]}[demo.status]
    for position, status in enumerate(steps):
        if status == S.ACKNOWLEDGED:
            at = acknowledged
        elif status in (S.FIXED, S.NOT_RESPONSIBLE):
            at = created + datetime.timedelta(days=demo.fix_days, hours=demo.ack_hours)
        else:
            at = acknowledged + datetime.timedelta(hours=2)
        at = min(at, now - datetime.timedelta(minutes=len(steps) - position))
        last = position == len(steps) - 1
        report_transition(report=report, status=status, actor=manager,
                          public_note=demo.reply if last else "",
                          internal_note="" if last else "現地確認済み", now=at)
    if officer is not None and report.is_open and report.department_id == getattr(
            officer.staff_profile, "department_id", None):
        report_assign(report=report, assignee=officer, actor=manager or officer,
                      now=now - datetime.timedelta(minutes=1))
