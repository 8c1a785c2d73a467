"""Reference data (the report categories) and the roles of the reports app."""


def register() -> None:
    from cityhall.core.registry import register_reference_loader

    from ..services.reports import categories_load_reference

    register_reference_loader("reports.categories", categories_load_reference)
