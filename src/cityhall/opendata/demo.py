"""The demo catalogue (取組27): about fifteen datasets of real Minato departments, marked
`is_demo`, with small CSV, JSON and GeoJSON files made through `services.resource_create`, so
that the catalogue pages, the API and the staff back office have something to show.

The numbers are INVENTED (each such description says "demo data, invented"); the names of
departments, towns and facilities are real. Two datasets are private and one is a draft, so
the staff pages show those states. Idempotent: a dataset that exists is left alone.
"""

import csv
import io
import json

from django.db import transaction

from cityhall.core.models import Department, Facility, Town

from . import services
from .models import Dataset
from .providers import themes_ensure

INVENTED = "デモ用の架空データです (demo data, invented)。"
INVENTED_EN = "Demo data, invented: the figures are not real."


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")


def _number(seed: str, low: int, high: int) -> int:
    """A made-up but repeatable number (the same on every load)."""
    import hashlib

    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    return low + digest % (high - low + 1)


def _towns(limit: int | None = None):
    towns = list(Town.objects.order_by("name_kana", "chome"))
    return towns[:limit] if limit else towns


def _population():
    header = ["全国地方公共団体コード", "地方公共団体名", "町字", "総数", "男", "女", "世帯数"]
    rows = []
    for town in _towns():
        men, women = _number(f"m{town.pk}", 300, 4000), _number(f"f{town.pk}", 300, 4200)
        rows.append(["131032", "東京都港区", town.label, men + women, men, women,
                     _number(f"h{town.pk}", 200, 4500)])
    return [("町丁目別人口 (CSV)", "131032_population_by_town.csv", _csv(header, rows)),
            ("町丁目別人口 (JSON)", "131032_population_by_town.json",
             _json([dict(zip(header, row, strict=True)) for row in rows]))]


def _age_groups():
    header = ["年齢", "男", "女"]
    rows = [[f"{age}～{age + 4}歳", _number(f"am{age}", 3000, 9000),
             _number(f"af{age}", 3000, 9500)] for age in range(0, 100, 5)]
    return [("年齢別人口 (CSV)", "131032_population_by_age.csv", _csv(header, rows))]


def _sites(limit: int):
    return list(Facility.objects.filter(kind=Facility.Kind.SHELTER, latitude__isnull=False)
                .order_by("code")[:limit])


def _aed():
    header = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "所在地_連結表記", "緯度",
              "経度", "設置位置", "利用可能曜日", "開始時間", "終了時間"]
    rows, features = [], []
    for number, site in enumerate(_sites(12), start=1):
        row = ["131032", f"131032AED{number:04d}", "東京都港区", site.name, site.address,
               f"{site.latitude:.6f}", f"{site.longitude:.6f}", "1階入口付近", "月火水木金",
               "08:30", "17:00"]
        rows.append(row)
        features.append({"type": "Feature", "geometry": {
            "type": "Point", "coordinates": [float(site.longitude), float(site.latitude)]},
            "properties": dict(zip(header, row, strict=True))})
    return [("AED設置箇所一覧 (CSV)", "131032_aed.csv", _csv(header, rows)),
            ("AED設置箇所一覧 (GeoJSON)", "131032_aed.geojson",
             _json({"type": "FeatureCollection", "features": features}))]


def _toilets():
    header = ["全国地方公共団体コード", "ID", "名称", "所在地_連結表記", "男性トイレ総数",
              "女性トイレ総数", "バリアフリートイレ数", "オストメイト設置"]
    rows = [["131032", f"131032WC{number:04d}", f"{town.label}公衆便所",
             f"東京都港区{town.name}{town.chome or ''}", _number(f"wm{town.pk}", 1, 4),
             _number(f"ww{town.pk}", 1, 4), _number(f"wb{town.pk}", 0, 2),
             "1" if _number(f"wo{town.pk}", 0, 1) else ""]
            for number, town in enumerate(_towns(15), start=1)]
    return [("公衆トイレ一覧 (CSV)", "131032_public_toilet.csv", _csv(header, rows))]


def _childcare():
    header = ["全国地方公共団体コード", "ID", "名称", "所在地_連結表記", "利用可能時間"]
    rows = [["131032", facility.code.replace("-", "").upper(), facility.name, facility.address,
             facility.opening_hours]
            for facility in Facility.objects.filter(kind=Facility.Kind.CHILDCARE)]
    return [("子育て施設一覧 (CSV)", "131032_preschool.csv", _csv(header, rows))]


def _simple(filename: str, header: list[str], rows: list[list]):
    return lambda: [(f"{filename.split('.')[0]} (CSV)", filename, _csv(header, rows))]


DATASETS = [
    # name, department, title, title_en, themes, tags, notes, notes_en, resources, extra
    ("demo-population-by-town", "planning", "町丁目別人口・世帯数", "Population by town",
     ["toukei"], ["人口", "統計"], "町丁目ごとの人口と世帯数。", "Population and households by "
     "town.", _population, {"update_frequency": "MONTHLY"}),
    ("demo-population-by-age", "planning", "年齢別人口", "Population by age group",
     ["toukei"], ["人口", "統計"], "5歳階級別の人口。", "Population in five-year age groups.",
     _age_groups, {"update_frequency": "MONTHLY"}),
    ("demo-aed", "kenko-suishin", "AED設置箇所一覧", "AED locations", ["fukushi", "bousai"],
     ["AED", "医療", "自治体標準オープンデータセット"], "区有施設のAED設置箇所。",
     "AEDs in ward facilities.", _aed,
     {"standard": "自治体標準オープンデータセット AED設置箇所一覧"}),
    ("demo-public-toilet", "doboku", "公衆トイレ一覧", "Public toilets", ["machizukuri"],
     ["トイレ", "自治体標準オープンデータセット"], "区が管理する公衆便所。",
     "Public toilets the city manages.", _toilets,
     {"standard": "自治体標準オープンデータセット 公衆トイレ一覧"}),
    ("demo-childcare-facilities", "children-families", "子育て支援施設一覧",
     "Childcare support facilities", ["kosodate"], ["子育て"],
     "区の子育て支援施設（施設名と所在地は区のデータから作成）。",
     "The city's childcare support facilities (names and addresses from the city's data).",
     _childcare, {}),
    ("demo-nursery-vacancies", "hoiku", "認可保育園の空き状況", "Nursery vacancies",
     ["kosodate"], ["保育園", "子育て"], "年齢クラス別の空き人数。",
     "Vacancies by age class.", _simple("131032_nursery_vacancy.csv",
                                        ["園名", "0歳", "1歳", "2歳", "3歳", "4歳", "5歳"],
                                        [["港区立芝保育園", 0, 2, 1, 3, 0, 1],
                                         ["港区立赤坂保育園", 1, 0, 0, 2, 2, 0]]),
     {"update_frequency": "MONTHLY"}),
    ("demo-care-services", "kaigo-hoken", "介護サービス事業所一覧", "Care service providers",
     ["fukushi"], ["介護", "福祉"], "区内の介護サービス事業所。", "Care service providers.",
     _simple("131032_care_service.csv", ["名称", "サービス種別", "所在地_連結表記"],
             [["みなと訪問介護ステーション", "訪問介護", "東京都港区芝5-1-1"],
              ["あおやまデイサービス", "通所介護", "東京都港区南青山2-1-1"]]), {}),
    ("demo-garbage-sorting", "recycle-seiso", "ごみ分別辞典", "Garbage sorting guide",
     ["machizukuri"], ["ごみ", "リサイクル"], "品目ごとの出し方。", "How to put out each item.",
     _simple("131032_garbage_sorting.csv", ["品目", "分別区分", "備考"],
             [["ペットボトル", "資源", "キャップとラベルは外す"],
              ["乾電池", "危険・有害ごみ", ""], ["傘", "不燃ごみ", ""]]), {}),
    ("demo-residents-tax", "tax", "特別区民税の課税状況", "Special ward residents' tax",
     ["toukei"], ["税", "統計"], "年度別の納税義務者数と課税額。",
     "Taxpayers and amounts by fiscal year.",
     _simple("131032_residents_tax.csv", ["年度", "納税義務者数", "課税額（千円）"],
             [[year, _number(f"t{year}", 150000, 170000), _number(f"a{year}", 9000000, 9900000)]
              for year in range(2021, 2026)]), {"update_frequency": "ANNUAL"}),
    ("demo-disaster-drills", "disaster-management", "防災訓練の実施状況", "Disaster drills held",
     ["bousai"], ["防災", "訓練"], "地区ごとの防災訓練の回数と参加者数。",
     "Drills and participants by area.",
     _simple("131032_disaster_drills.csv", ["地区", "回数", "参加者数"],
             [[area, _number(f"d{area}", 3, 20), _number(f"p{area}", 200, 3000)]
              for area in ("芝", "麻布", "赤坂", "高輪", "芝浦港南")]), {}),
    ("demo-budget", "accounting", "予算の概要", "Budget summary", ["toukei"], ["予算", "財政"],
     "一般会計の款別予算額。", "General account budget by chapter.",
     _simple("131032_budget.csv", ["款", "予算額（千円）"],
             [["総務費", 25000000], ["民生費", 80000000], ["教育費", 30000000]]),
     {"update_frequency": "ANNUAL"}),
    ("demo-shopping-streets", "community", "商店街一覧", "Shopping streets", ["machizukuri"],
     ["商店街"], "区内の商店街。", "Shopping streets in the ward.",
     _simple("131032_shopping_streets.csv", ["名称", "地区"],
             [["麻布十番商店街", "麻布"], ["三田商店街", "芝"]]), {"state": "draft"}),
    ("demo-disability-services", "shogai-fukushi", "障害福祉サービス事業所一覧",
     "Disability service providers", ["fukushi"], ["障害福祉", "福祉"],
     "障害福祉サービス事業所。", "Disability service providers.",
     _simple("131032_disability_services.csv", ["名称", "サービス種別"],
             [["みなと就労支援センター", "就労移行支援"]]), {"private": True}),
    ("demo-counter-waiting", "residents-counter", "窓口の待ち時間", "Counter waiting times",
     ["toukei"], ["窓口", "統計"], "総合支所の窓口の月別平均待ち時間（分）。",
     "Average waiting time at the branch counters by month (minutes).",
     _simple("131032_counter_waiting.csv", ["月", "芝", "麻布", "赤坂", "高輪", "芝浦港南"],
             [[f"2026-{month:02d}", *[_number(f"w{month}{b}", 5, 40) for b in range(5)]]
              for month in range(1, 7)]), {"private": True}),
    ("demo-events", "community", "イベント一覧", "Events", ["machizukuri", "kosodate"],
     ["イベント"], "区の主催イベント。", "Events the city holds.",
     lambda: [("イベント一覧 (JSON)", "131032_event.json", _json([
         {"名称": "みなと区民まつり", "開始日": "2026-10-10", "場所": "芝公園"},
         {"名称": "子ども防災教室", "開始日": "2026-09-01", "場所": "港区スポーツセンター"}]))],
     {}),
]


def load_opendata_demo() -> str:
    """Create the demo datasets that are missing (the demo loader "opendata")."""
    themes_ensure()
    made = 0
    for (name, department_code, title, title_en, themes, tags, notes, notes_en, resources,
         extra) in DATASETS:
        if Dataset.objects.filter(name=name).exists():
            continue
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            continue
        extra = dict(extra)
        state = extra.pop("state", "active")
        with transaction.atomic():
            dataset = services.dataset_create(
                actor=None, organization=services.organization_for_department(
                    department=department),
                name=name, title=title, title_en=title_en, tags=tags, groups=themes,
                notes=f"{notes}{INVENTED}" if "childcare" not in name else notes,
                notes_en=f"{notes_en} {INVENTED_EN}" if "childcare" not in name else notes_en,
                spatial="東京都港区", is_demo=True, state=state, **extra)
            for resource_name, filename, content in resources():
                services.resource_create(actor=None, dataset=dataset, name=resource_name,
                                         upload=content, filename=filename)
        made += 1
    return f"{made} demo datasets"
