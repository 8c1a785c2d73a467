"""How the reports app plugs into core and the engines, called from `ReportsConfig.ready`:
portal links, roles, reference and demo loaders, periodic tasks."""


def register() -> None:
    from . import base, public, staff

    base.register()
    public.register()
    staff.register()

    from django.apps import apps

    if apps.is_installed("cityhall.opendata"):
        from . import opendata

        opendata.register()
