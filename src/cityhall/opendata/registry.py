"""How an app publishes its own live data in the catalogue (取組27) without the catalogue
importing the app (DESIGN.md: an engine stays ignorant of domains).

In its `AppConfig.ready()` an app calls::

    from cityhall.opendata.registry import LiveDataset, register_live_dataset

    register_live_dataset(LiveDataset(
        key="disaster.evacuation_sites", name="131032-evacuation-sites",
        title="指定緊急避難場所一覧", title_en="Designated emergency evacuation sites",
        organization="disaster-management", columns=EVACUATION_SITE_COLUMNS,
        rows=evacuation_site_rows, version=evacuation_sites_version, ...))

The catalogue creates the dataset the first time (`services.live_datasets_sync`), and
regenerates its files whenever `version()` returns something new: on a periodic task, and
when a file is asked for and the last check is older than a minute. `version()` must be cheap
(a count and a latest-change time, say); `rows()` may be slow.

An app that is not installed registers nothing, and its dataset simply stops being refreshed
(staff may then withdraw it).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LiveDataset:
    key: str  # stable id of the provider, e.g. "disaster.evacuation_sites"
    name: str  # the dataset's CKAN name (URL slug)
    title: str  # Japanese
    title_en: str
    organization: str  # the publishing Department.code (its organization is created)
    columns: list[str]  # header row, in the order of the standard the dataset follows
    rows: Callable[[], Iterable[list]]  # the current rows, each in `columns` order
    version: Callable[[], str]  # a cheap fingerprint of the source; new value = regenerate
    notes: str = ""
    notes_en: str = ""
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # theme names (created if missing)
    standard: str = ""  # e.g. "自治体標準オープンデータセット 公共施設一覧 (version)"
    license_id: str = "CC-BY-4.0"
    update_frequency: str = "CONT"
    # Optional GeoJSON rendering: a FeatureCollection dict built from the same source.
    geojson: Callable[[], dict] | None = None
    # The file name stem of the downloads, e.g. "131032_evacuation_space" (the standard's
    # naming rule: 全国地方公共団体コード + dataset type).
    file_stem: str = ""
    attribution: str = ""  # source and licence of the underlying data, shown on the page


_live_datasets: dict[str, LiveDataset] = {}


def register_live_dataset(dataset: LiveDataset) -> None:
    _live_datasets[dataset.key] = dataset


def live_datasets() -> list[LiveDataset]:
    return sorted(_live_datasets.values(), key=lambda dataset: dataset.key)


def live_dataset(key: str) -> LiveDataset | None:
    return _live_datasets.get(key)
