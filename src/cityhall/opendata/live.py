"""Live datasets: the platform's own data published in the catalogue (取組27, 30).

Apps register providers (`registry.py`). `live_datasets_sync` creates a dataset for each
provider the first time (staff may then edit its description, tags and themes, but not its
files). `live_dataset_refresh` asks the provider for its `version()` and, when it differs
from the one the files were made from, writes the files again and moves `last_modified`:
so a file's Last-Modified is the time its content last changed, not the time it was asked for.

Refreshing happens on a periodic task (`tasks.opendata_live_refresh`) and, at most once a
minute per dataset, when a file is downloaded, so a download is never more than a minute
behind the data even without a worker.
"""

import csv
import hashlib
import io
import json
import logging

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cityhall.core.audit import audit_record
from cityhall.core.models import Department

from .models import Dataset, Resource
from .registry import LiveDataset, live_dataset, live_datasets
from .services import dataset_create, group_ensure, organization_for_department

logger = logging.getLogger(__name__)

STALE_CHECK_SECONDS = 60
VARIANTS = {
    # variant: (format, media type, extension)
    "csv": ("CSV", "text/csv", "csv"),
    "geojson": ("GEOJSON", "application/geo+json", "geojson"),
}


def render_csv(provider: LiveDataset) -> tuple[bytes, int]:
    """The provider's rows as CSV in UTF-8 (downloads add a BOM or convert to Shift_JIS)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(provider.columns)
    count = 0
    for row in provider.rows():
        if len(row) != len(provider.columns):
            raise ValueError(f"{provider.key}: a row has {len(row)} values for "
                             f"{len(provider.columns)} columns")
        writer.writerow(["" if value is None else value for value in row])
        count += 1
    return out.getvalue().encode("utf-8"), count


def render_geojson(provider: LiveDataset) -> tuple[bytes, int]:
    collection = provider.geojson()
    content = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
    return content, len(collection.get("features", []))


def _stem(provider: LiveDataset) -> str:
    return provider.file_stem or provider.name


def live_datasets_sync() -> list[Dataset]:
    """Create the datasets of registered providers that have none yet; returns them all."""
    datasets = []
    for provider in live_datasets():
        dataset = Dataset.objects.filter(live_key=provider.key).first()
        if dataset is None:
            dataset = _live_dataset_create(provider)
        if dataset is not None:
            datasets.append(dataset)
    return datasets


@transaction.atomic
def _live_dataset_create(provider: LiveDataset) -> Dataset | None:
    department = Department.objects.filter(code=provider.organization).first()
    if department is None:
        logger.warning("Live dataset %s: no department %s yet", provider.key,
                       provider.organization)
        return None
    organization = organization_for_department(department=department)
    for name in provider.groups:
        group_ensure(name=name, title=name)
    dataset = dataset_create(
        actor=None, organization=organization, name=provider.name, title=provider.title,
        title_en=provider.title_en, notes=provider.notes, notes_en=provider.notes_en,
        tags=provider.tags, groups=provider.groups, license_id=provider.license_id,
        update_frequency=provider.update_frequency, standard=provider.standard,
        spatial="東京都港区", live_key=provider.key)
    variants = ["csv"] + (["geojson"] if provider.geojson else [])
    for position, variant in enumerate(variants):
        file_format = VARIANTS[variant][0]
        Resource.objects.create(
            dataset=dataset, position=position, kind=Resource.Kind.LIVE,
            live_variant=variant, name=f"{provider.title} ({file_format})",
            name_en=f"{provider.title_en} ({file_format})", format=file_format,
            mimetype=VARIANTS[variant][1])
    return dataset


def live_dataset_refresh(dataset: Dataset, *, force: bool = False) -> bool:
    """Regenerate a live dataset's files if its source changed. Returns True when it did.
    A provider that is no longer registered (its app removed) leaves the files as they are."""
    provider = live_dataset(dataset.live_key)
    if provider is None:
        return False
    version = str(provider.version())
    if not force and version == dataset.live_version and dataset.resources.filter(
            kind=Resource.Kind.LIVE).exclude(file="").exists():
        return False
    rendered = {"csv": render_csv(provider)}
    if provider.geojson:
        rendered["geojson"] = render_geojson(provider)
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if not force and locked.live_version == version:
            return False  # another worker refreshed it meanwhile
        now = timezone.now()
        old_files = []
        changed = False
        for resource in locked.resources.filter(kind=Resource.Kind.LIVE):
            if resource.live_variant not in rendered:
                continue
            content, count = rendered[resource.live_variant]
            digest = hashlib.sha256(content).hexdigest()
            if digest == resource.hash and resource.file:
                continue
            if resource.file:
                old_files.append(resource.file.name)
            extension = VARIANTS[resource.live_variant][2]
            resource.file.save(f"{_stem(provider)}.{extension}", ContentFile(content),
                               save=False)
            resource.size, resource.hash, resource.row_count = len(content), digest, count
            resource.last_modified = now
            resource.save()
            changed = True
        locked.live_version = version
        update = {"live_version": version}
        if changed:
            update["metadata_modified"] = now
        Dataset.objects.filter(pk=locked.pk).update(**update)
        if changed:
            audit_record(actor=None, action="opendata.live_refresh", target=locked,
                         details={"version": version[:100]})
        storage = Resource._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old_files])
    dataset.live_version = version
    return changed


def live_refresh_if_stale(dataset: Dataset) -> None:
    """Called before a live file is served: check the source at most once a minute."""
    if not dataset.live_key:
        return
    if not cache.add(f"opendata:live-check:{dataset.pk}", 1, STALE_CHECK_SECONDS):
        return
    try:
        live_dataset_refresh(dataset)
    except Exception:
        # Serving the previous file is better than failing the download.
        logger.exception("Live dataset %s could not be refreshed", dataset.live_key)


def live_datasets_refresh_all() -> int:
    live_datasets_sync()
    refreshed = 0
    for dataset in Dataset.objects.exclude(live_key="").exclude(state=Dataset.State.DELETED):
        if live_dataset_refresh(dataset):
            refreshed += 1
    return refreshed
