"""Named demo personas, shared by the demo loader and the tests.

Every persona is invented (is_demo=True) and uses the reserved `.example` domain. They all
share DEMO_PASSWORD, which is printed when the demo portal starts and must never be used
outside a demo.
"""

import datetime
from dataclasses import dataclass, field

DEMO_PASSWORD = "minato-demo-2026"  # noqa: S105 - a published demo password, by design
DEMO_DOMAIN = "demo.cityhall.example"


@dataclass(frozen=True)
class StaffPersona:
    key: str
    email: str
    display_name: str
    branch_office: str
    roles: tuple[str, ...]
    department: str | None = None
    is_superuser: bool = False


@dataclass(frozen=True)
class ResidentPersona:
    key: str
    email: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    date_of_birth: datetime.date
    town: tuple[str, int | None]
    block_number: str
    preferred_language: str = "ja"
    accessibility_needs: tuple[str, ...] = field(default_factory=tuple)


STAFF = {
    persona.key: persona for persona in [
        StaffPersona("admin", f"admin@{DEMO_DOMAIN}", "情報 管理子", "main",
                     ("system_admin",), "it-policy", is_superuser=True),
        StaffPersona("shiba_clerk", f"clerk.shiba@{DEMO_DOMAIN}", "芝 窓口太郎", "shiba",
                     ("counter_clerk",), "shiba-residents"),
        StaffPersona("azabu_clerk", f"clerk.azabu@{DEMO_DOMAIN}", "麻布 窓口花子", "azabu",
                     ("counter_clerk",), "azabu-residents"),
        StaffPersona("shiba_manager", f"manager.shiba@{DEMO_DOMAIN}", "芝 支所長", "shiba",
                     ("branch_manager",), "shiba-residents"),
        StaffPersona("records_supervisor", f"supervisor@{DEMO_DOMAIN}", "区民 統括", "main",
                     ("records_supervisor",), "general-affairs"),
        StaffPersona("auditor", f"auditor@{DEMO_DOMAIN}", "監査 正", "main", ("auditor",),
                     "general-affairs"),
        StaffPersona("eisei_reviewer", f"reviewer.eisei@{DEMO_DOMAIN}", "衛生 審査子", "main",
                     ("application_reviewer",), "seikatsu-eisei"),
        StaffPersona("eisei_reviewer_2", f"reviewer2.eisei@{DEMO_DOMAIN}", "衛生 承認男", "main",
                     ("application_reviewer",), "seikatsu-eisei"),
        StaffPersona("roads_shiba", f"roads.shiba@{DEMO_DOMAIN}", "芝 道路係", "shiba",
                     ("street_reports_officer",), "shiba-machizukuri"),
        StaffPersona("roads_manager", f"roads.manager@{DEMO_DOMAIN}", "土木 統括", "main",
                     ("street_reports_manager",), "doboku"),
        StaffPersona("opendata_officer", f"opendata@{DEMO_DOMAIN}", "情報 開子", "main",
                     ("opendata_editor",), "it-policy"),
        StaffPersona("opendata_disaster", f"opendata.bousai@{DEMO_DOMAIN}", "防災 公開", "main",
                     ("opendata_department_editor",), "disaster-management"),
        StaffPersona("kouchou", f"kouchou@{DEMO_DOMAIN}", "広聴 聞子", "main",
                     ("feedback_officer",), "planning"),
        StaffPersona("kouchou_2", f"kouchou2@{DEMO_DOMAIN}", "広聴 承認介", "main",
                     ("feedback_officer",), "planning"),
        StaffPersona("hoiku_officer", f"hoiku@{DEMO_DOMAIN}", "保育 入所子", "main",
                     ("nursery_admissions_officer",), "hoiku"),
        # みなと保健所 健康推進課: the children's immunisation records (childcare, 取組23).
        StaffPersona("yobou_officer", f"yobou@{DEMO_DOMAIN}", "予防 接種子", "main",
                     ("immunisation_officer",), "kenko-suishin"),
    ]
}

RESIDENTS = {
    persona.key: persona for persona in [
        ResidentPersona("hanako", f"hanako@{DEMO_DOMAIN}", "港", "花子", "ミナト", "ハナコ",
                        datetime.date(1985, 4, 1), ("芝公園", 2), "3-1"),
        ResidentPersona("taro", f"taro@{DEMO_DOMAIN}", "麻布", "太郎", "アザブ", "タロウ",
                        datetime.date(1978, 11, 3), ("元麻布", 3), "8-15 元麻布ハイツ101",
                        accessibility_needs=("large_text",)),
        ResidentPersona("emily", f"emily@{DEMO_DOMAIN}", "Takanawa", "Emily", "タカナワ",
                        "エミリー", datetime.date(1992, 7, 20), ("高輪", 2), "1-1",
                        preferred_language="en", accessibility_needs=("easy_japanese",)),
        # A guardian with two children in the immunisation demo (childcare, 取組23).
        ResidentPersona("mika", f"mika@{DEMO_DOMAIN}", "芝浦", "美香", "シバウラ", "ミカ",
                        datetime.date(1990, 9, 12), ("港南", 4), "2-10 港南タワー1203"),
    ]
}
