"""The licences a dataset may carry (CKAN's `license_list`; 取組27).

CC BY 4.0 is the default: it is what the Digital Agency's open data guidelines
(オープンデータ基本指針) and most Japanese municipal catalogues use, and it is one of the three
licences (CC BY, CC BY-SA, CC0) that aggregators such as BODIK accept. The ids are CKAN's own,
so harvesters map them without a table of their own.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    od_conformance: str = "approved"  # Open Definition conformance, as CKAN reports it
    is_open: bool = True


LICENCES: dict[str, Licence] = {licence.id: licence for licence in [
    Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 (CC BY 4.0)",
            "https://creativecommons.org/licenses/by/4.0/"),
    Licence("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike 4.0 (CC BY-SA 4.0)",
            "https://creativecommons.org/licenses/by-sa/4.0/"),
    Licence("cc-zero", "Creative Commons CCZero (CC0)",
            "https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("odc-by", "Open Data Commons Attribution License",
            "https://opendatacommons.org/licenses/by/1-0/"),
    Licence("gsi-terms", "国土地理院コンテンツ利用規約 (CC BY 4.0 compatible)",
            "https://www.gsi.go.jp/kikakuchousei/kikakuchousei40182.html"),
    Licence("other-closed", "Other (Not Open)", "", od_conformance="not reviewed",
            is_open=False),
]}

DEFAULT_LICENCE = "CC-BY-4.0"


def licence_choices():
    return [(licence.id, licence.title) for licence in LICENCES.values()]


def licence_title(licence_id: str) -> str:
    licence = LICENCES.get(licence_id)
    return licence.title if licence else str(_("Unknown licence"))
