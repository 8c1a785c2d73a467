"""The routine (定期) immunisation rules as data: one record per rule with its text, its
source and, where the reference notes or the sources leave the boundary open, a note marked
UNCONFIRMED. The series logic in `series.py` names these ids on every date it computes, and
the regression cases in `cases/` name the ids they exercise (the tests check that every id
here has at least one case).

Sources are the reference notes /work/shared/reference/japanese-municipal-systems.md §2 and
the municipal pages they cite (host + page id), plus the MHLW interpretation pages found while
writing this (city.kobe.lg.jp rule.html, city.natori.miyagi.jp 28849, wic-net.com 7576/20).
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str
    note: str = ""

    @property
    def unconfirmed(self):
        return "UNCONFIRMED" in self.note


_R = [
    # Date arithmetic (dates.py).
    Rule("date.age", "X歳に至るまで / X歳未満 = up to the day before the X-th birthday; X歳以上 "
         "from that day", "年齢計算ニ関スル法律 + 民法143条; city.kobe.lg.jp rule.html; "
         "city.tome.miyagi.jp yobousesshutaisyousya"),
    Rule("date.months", "生後N月に至った日 = day before the same date N months later, or the "
         "month's last day", "atsugi.city-hc.jp mwksviotf0lds0wm; city.kobe.lg.jp rule.html"),
    Rule("date.weeks_after_birth", "出生N週M日後 = dob + 7N + M, inclusive (birth = 0週0日)",
         "city.natori.miyagi.jp 28849; kansensho.jp QA20100204"),
    Rule("date.days_interval", "N日以上の間隔 → next from dose + N + 1",
         "city.minamikyushu.lg.jp kankaku.html; hagisawa-iin.jp/news/597"),
    Rule("date.months_interval", "N月以上の間隔 → next from the same date N months later "
         "(first of the next month if none); N月半 adds half that month's length",
         "MHLW 予防接種基本方針部会 第52回 資料5 p.20 (wic-net.com/material/document/7576/20); "
         "city.natori.miyagi.jp 28849"),
    Rule("date.no_grace", "no grace period: a dose one day early is not 定期",
         "kasukabe.city-hc.jp adGXKFjSKk88X6RC; city.kobe.lg.jp rule.html"),
    Rule("live.27days", "injectable live → another injectable live vaccine: 27日以上 (from +28); "
         "other combinations free since 2020-10-01; same day allowed",
         "city.yoshikawa.saitama.jp 82869; city.shiogama.miyagi.jp 16911; hagisawa-iin.jp/news/597",
         "same-day co-administration as a written rule: UNCONFIRMED"),
    # B型肝炎
    Rule("hepb.window", "B型肝炎: 1歳に至るまで, 3 doses; 標準 生後2月–9月",
         "takasaki.city-hc.jp aEFW4MOmGYXlYFPG; nobeoka.city-hc.jp i6fhP6gwBN8nDNFx",
         "routine for children born on or after 2016-04-01"),
    Rule("hepb.intervals", "2nd 27日以上 after 1st; 3rd 139日以上 after 1st",
         "umi-town.city-hc.jp ZeEqf9Cjn30fFvnc; nobeoka.city-hc.jp"),
    # ロタ
    Rule("rota.window", "ロタ 1価 出生6週0日後–24週0日後 (2 doses); 5価 6週0日後–32週0日後 "
         "(3 doses); 27日以上; 標準 1st from 生後2月 to 出生14週6日後",
         "mori-town.city-hc.jp; kansensho.jp QA20100204; city.kakamigahara.lg.jp 1002230",
         "a 1st dose after 14週6日 is reported as valid but not recommended (overdue + warning): "
         "UNCONFIRMED whether it stays 定期; routine for births from 2020-08-01"),
    Rule("rota.product", "complete with the product started (1価 or 5価); no switch",
         "city.kakamigahara.lg.jp 1002230 (途中でワクチンの変更はできません)"),
    # 5種/4種/Hib
    Rule("dpt5.window", "5種混合 (DPT-IPV-Hib, 定期 from 2024-04-01): 生後2月–90月; 初回 3 doses "
         "20日以上 (標準 20–56日, start 2–7月); 追加 6月以上 after 3rd (標準 6–18月)",
         "town.hyogo-inami.lg.jp 0000006656; city.kakamigahara.lg.jp 1002230"),
    Rule("dpt4.window", "4種混合 (DPT-IPV): 生後2月 (生後3月 before 2023-04-01)–90月; 初回 3 "
         "doses 20日以上; 追加 6月以上 after 3rd (標準 12–18月)",
         "nobeoka.city-hc.jp; kaede-kodomo.jp p=3436 (2月 from 2023-04)"),
    Rule("dpt.continuity", "children who started 4種混合 + Hib finish them; 5種 is not needed",
         "city.kakamigahara.lg.jp 1002230 (原則同一ワクチンで接種を完了)",
         "a 5種 dose after a 4種/Hib start is counted for both with a warning: UNCONFIRMED"),
    Rule("hib.paths", "Hib 生後2月–60月: start 2–7月 3+1, 7–12月 2+1, 12–60月 1; 初回 27日以上 "
         "(20日 if the doctor deems it necessary) and before 1歳; 追加 7月以上 after 初回, or 27日 "
         "after the last 初回 when 初回 was not finished before 1歳",
         "town.otsuchi.iwate.jp 433632; city.usuki.oita.jp 2014071700019",
         "start-path boundaries: 'from the day after reaching 7/12 months' is our reading: "
         "UNCONFIRMED"),
    # 肺炎球菌
    Rule("pcv.paths", "小児肺炎球菌 生後2月–60月: start 2–7月 3+1, 7–12月 2+1, "
         "12–24月 2 (60日以上), "
         "24–60月 1; 初回 27日以上, 初回 2nd/3rd before 2歳, no 3rd if the 2nd was after 1歳; 追加 "
         "60日以上 after the last 初回 and from 1歳 (標準 12–15月)",
         "city.tamba.lg.jp 7112; kakuda.city-hc.jp a8wCqkPalU3bFf8z",
         "start-path boundaries as for Hib: UNCONFIRMED"),
    Rule("pcv.products", "PCV15 定期 from 2024-04-01, PCV20 from 2024-10-01; started with PCV15 "
         "→ continue PCV15; started with PCV13 → switch to PCV20",
         "aikawakodomo.yokohama news4",
         "PCV13 treated as 定期 until 2024-09-30 and PCV15→PCV20 as an allowed switch with a "
         "warning: UNCONFIRMED"),
    # BCG, MR, 水痘
    Rule("bcg.window", "BCG: 1 dose, 1歳に至るまで; 標準 生後5–8月",
         "t-sakura.city-hc.jp; hinohara-vill.city-hc.jp"),
    Rule("mr1.window", "MR 1期: 生後12月から24月に至るまで (1歳の前日 – 2歳の前日)",
         "tsushima.city-hc.jp ar34lY7fVuLH1cL5; medicos.jp/yobou/howtotake.html"),
    Rule("mr2.window", "MR 2期: 小学校就学の始期に達する日の1年前の日から前日まで (年長, 4/1–3/31)",
         "tsushima.city-hc.jp ar34lY7fVuLH1cL5; 学校教育法17条 (就学の始期)"),
    Rule("varicella.window", "水痘: 生後12月–36月, 2 doses, 3月以上 (標準 6–12月); "
         "1st 標準 12–15月",
         "manno-town.city-hc.jp; shinkamigoto-town.city-hc.jp"),
    # 日本脳炎
    Rule("je.window", "日本脳炎 1期 生後6月–90月: 初回 2 doses 6日以上 (標準 6–28日, 3歳), "
         "追加 6月以上 "
         "after the 2nd (標準 4歳); 2期 9歳–13歳未満 (標準 9歳)",
         "minato.city-hc.jp aTlCXPKHbOh6jKHP; isesaki.city-hc.jp bz7FBr7AmkzK0N33",
         "a child past 90月 without 1期 (not in a 特例 cohort) is offered 2期 alone with a "
         "warning: UNCONFIRMED"),
    Rule("je.tokurei_a", "特例: born 1995-04-02…2007-04-01 may receive missing doses until the "
         "20歳 day, 6日以上 between them",
         "minato.city-hc.jp aTlCXPKHbOh6jKHP; isesaki.city-hc.jp bz7FBr7AmkzK0N33",
         "6日 between all remaining doses incl. 2期 (2期 std ~5y later not enforced): UNCONFIRMED"),
    Rule("je.tokurei_b", "特例: born 2007-04-02…2009-10-01 may receive missing 1期 doses at "
         "9歳–13歳未満, 6日以上 between them", "minato.city-hc.jp; tajiri-town.city-hc.jp",
         "2期 then 6日以上 after the last 1期 dose: UNCONFIRMED"),
    # 2種混合
    Rule("dt.window", "2種混合 DT 2期: 11歳–13歳未満, 1 dose; 標準 11歳", "takatsunaika.jp"),
    # HPV
    Rule("hpv.window", "HPV (girls): 12歳となる年度の初日から16歳となる年度の末日まで; 標準 中1 "
         "(13歳となる年度)", "kunitachi.city-hc.jp; yaita.city-hc.jp; ageo.city-hc.jp"),
    Rule("hpv.intervals", "2価: 1月以上, 3rd 5月以上 after 1st and 2月半以上 after 2nd; "
         "4価: 1月以上, "
         "3rd 3月以上 after 2nd; 9価: 2 doses (5月以上) if the 1st was before 15歳 (if the 2nd "
         "came <5月, a 3rd 3月以上 after it), else as 4価",
         "kunitachi.city-hc.jp; yaita.city-hc.jp; ageo.city-hc.jp",
         "standard windows for the 2nd/3rd doses (one month from the standard date): "
         "UNCONFIRMED"),
    Rule("hpv.products", "same product throughout; 9価 定期 from 2023-04-01",
         "ageo.city-hc.jp", "finishing a 2価/4価 series with 9価 allowed with a warning: "
         "UNCONFIRMED"),
    Rule("hpv.catchup", "キャッチアップ: born 1997-04-02…2008-04-01, 2022-04-01…2025-03-31; those "
         "born 1997-04-02…2009-04-01 with ≥1 dose 2022-04-01…2025-03-31 may finish until "
         "2026-03-31", "ogawa-town.city-hc.jp; hekinan.city-hc.jp",
         "the brief's 'started by 2025-09-30' differs from the reference (≥1 dose by "
         "2025-03-31); the reference is encoded: UNCONFIRMED"),
]

RULES = {rule.id: rule for rule in _R}

INJECTABLE_LIVE = frozenset({"bcg", "mr", "varicella", "mumps"})
OPTIONAL = frozenset({"mumps", "influenza"})  # 任意接種: read for the live rule, not planned

# Products and the dates they count as 定期 (None = open).
PRODUCT_ROUTINE = {
    "dpt_ipv_hib": (date(2024, 4, 1), None),
    "pcv13": (None, date(2024, 9, 30)),
    "pcv15": (date(2024, 4, 1), None),
    "pcv20": (date(2024, 10, 1), None),
    "hpv9": (date(2023, 4, 1), None),
}

# Allowed product changes within a series: "ok" silently, "warn" with a warning; any other
# change of product is an invalid dose.
CONTINUITY = {
    "rota": {},
    "pcv": {("pcv13", "pcv15"): "ok", ("pcv13", "pcv20"): "ok", ("pcv15", "pcv20"): "warn"},
    "hpv": {("hpv2", "hpv9"): "warn", ("hpv4", "hpv9"): "warn"},
}

PRODUCTS = {
    "rota": ("rota1", "rota5"),
    "pcv": ("pcv13", "pcv15", "pcv20"),
    "hpv": ("hpv2", "hpv4", "hpv9"),
}

TRANSITION_5IN1 = date(2024, 4, 1)
TRANSITION_PCV20 = date(2024, 10, 1)
TRANSITION_DPT4_2MONTHS = date(2023, 4, 1)
HPV_CATCHUP = {
    "cohort": (date(1997, 4, 2), date(2008, 4, 1)),
    "window": (date(2022, 4, 1), date(2025, 3, 31)),
    "extension_cohort": (date(1997, 4, 2), date(2009, 4, 1)),
    "extension_end": date(2026, 3, 31),
}
JE_TOKUREI_A = (date(1995, 4, 2), date(2007, 4, 1))
JE_TOKUREI_B = (date(2007, 4, 2), date(2009, 10, 1))
