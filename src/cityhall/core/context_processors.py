"""Template context shared by every page."""

import functools

from .registry import page_widgets, site_banners
from .selectors import current_municipality


def municipality(request):
    return {"municipality": current_municipality()}


def banners(request):
    """The site-wide banners (`core.registry.register_banner_provider`), computed only when a
    template reads them (base.html does, once, with {% with %})."""
    return {"site_banners": functools.partial(site_banners, request)}


def widgets(request):
    """The templates apps add to every page (`core.registry.register_page_widget`)."""
    return {"page_widgets": page_widgets()}
