"""Addresses of catalogue objects that several parts build (pages, the CKAN API, DCAT), so
they agree on one form. CKAN's own forms are kept: harvesters and users know them."""

from django.urls import reverse

from .models import Dataset, Resource


def resource_filename(resource: Resource) -> str:
    """The file name a download is offered under: the stored file's name for files, else the
    resource id with its format's extension."""
    if resource.file:
        return resource.file.name.rsplit("/", 1)[-1]
    extension = (resource.format or "dat").lower()
    return f"{resource.pk}.{extension}"


def resource_download_url(resource: Resource) -> str:
    """The path a resource's data is fetched from: the catalogue's own download view for files
    and live data, the outside address for links."""
    if resource.kind == Resource.Kind.LINK:
        return resource.url
    return reverse("opendata:resource_download", kwargs={
        "name": resource.dataset.name, "resource_id": resource.pk,
        "filename": resource_filename(resource)})


def dataset_path(dataset: Dataset) -> str:
    return f"/dataset/{dataset.name}"


def resource_path(resource: Resource) -> str:
    return f"/dataset/{resource.dataset.name}/resource/{resource.pk}"
