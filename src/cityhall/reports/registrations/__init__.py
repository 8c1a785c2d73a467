"""How the reports app plugs into core and the engines, called from `ReportsConfig.ready`:
portal links, roles, reference and demo loaders, periodic tasks."""


def register() -> None:
    from . import base

    base.register()
    from . import staff; staff.register()  # noqa: E702, I001 - one line a subject
