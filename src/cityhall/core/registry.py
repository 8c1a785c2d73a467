"""Small registries through which apps plug into core without core importing them.

An app calls `register_portal_link(...)` in its `AppConfig.ready()`; the portal home page and
the staff back office list what is registered. Removing the app from INSTALLED_APPS removes its
links and nothing else breaks (DESIGN.md, "every app is optional").
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PortalLink:
    key: str
    title: str
    description: str
    url_name: str
    audience: str = "resident"  # "resident" or "staff"
    permission: str | None = None
    order: int = 100
    extra: dict = field(default_factory=dict, compare=False, hash=False)


_links: dict[str, PortalLink] = {}


def register_portal_link(link: PortalLink) -> None:
    _links[link.key] = link


def portal_links(audience: str = "resident") -> list[PortalLink]:
    return sorted((link for link in _links.values() if link.audience == audience),
                  key=lambda link: (link.order, link.key))


_role_permissions: dict[str, set[str]] = {}


def register_role_permissions(role: str, permissions: list[str]) -> None:
    """Give a core role the permissions of an app (e.g. the counter clerk may view
    applications). `manage.py sync_roles` applies them; an app that is not installed adds
    nothing, so every app stays optional."""
    _role_permissions.setdefault(role, set()).update(permissions)


def registered_role_permissions(role: str) -> set[str]:
    return set(_role_permissions.get(role, set()))


_reference_loaders: dict[str, object] = {}


def register_reference_loader(name: str, loader) -> None:
    """Let an app load its own real reference data (e.g. the procedure catalogue) whenever
    `load_minato_reference` or `load_minato_demo` runs. `loader()` must be idempotent and
    return a short description of what it loaded."""
    _reference_loaders[name] = loader


def reference_loaders() -> list[tuple[str, object]]:
    return sorted(_reference_loaders.items())


_demo_loaders: dict[str, object] = {}


def register_demo_loader(name: str, loader) -> None:
    """Let an app load its own invented demo state (marked as demo) when `load_minato_demo`
    runs, after the reference data and the demo personas. `loader()` must be idempotent and
    return a short description of what it loaded."""
    _demo_loaders[name] = loader


def demo_loaders() -> list[tuple[str, object]]:
    return sorted(_demo_loaders.items())


@dataclass(frozen=True)
class Banner:
    """A notice shown at the top of every portal page (e.g. a published emergency alert).

    `lang` names the language of `title` when it is not the page's (text that was not
    translated); `note` then says so in the page's language."""
    key: str
    title: str
    url: str = ""
    level: str = "warning"  # "emergency", "warning" or "info"
    lang: str = ""
    note: str = ""


_banner_providers: dict[str, object] = {}


def register_banner_provider(key: str, provider) -> None:
    """`provider(request)` returns the banners to show now (a list, usually empty). An app
    registers one in `AppConfig.ready()`; core never imports the app."""
    _banner_providers[key] = provider


def site_banners(request) -> list[Banner]:
    """Every registered provider's banners, emergencies first. A failing provider is logged
    and skipped: a banner must never take the portal down with it."""
    import logging

    banners: list[Banner] = []
    for key, provider in sorted(_banner_providers.items()):
        try:
            banners.extend(provider(request))
        except Exception:
            logging.getLogger(__name__).exception("Banner provider %s failed", key)
    order = {"emergency": 0, "warning": 1, "info": 2}
    return sorted(banners, key=lambda banner: order.get(banner.level, 3))


@dataclass(frozen=True)
class PageWidget:
    """A template included at the end of every portal page (e.g. the FAQ chat widget)."""
    key: str
    template_name: str
    order: int = 100


_page_widgets: dict[str, PageWidget] = {}


def register_page_widget(key: str, template_name: str, order: int = 100) -> None:
    """An app adds a small template to every portal page from its `AppConfig.ready()`; the
    template must render nothing that fails (it is included in every page) and works without
    JavaScript. Core never imports the app."""
    _page_widgets[key] = PageWidget(key, template_name, order)


def page_widgets() -> list[PageWidget]:
    return sorted(_page_widgets.values(), key=lambda widget: (widget.order, widget.key))
