"""The demo loader of the reports app (取組13): invented reports across Minato, loaded by
`load_minato_demo` after the reference data and the demo personas."""


def register() -> None:
    from cityhall.core.registry import register_demo_loader

    register_demo_loader("reports.demo", load_reports_demo)


def load_reports_demo() -> str:
    from ..demo import reports_demo_load

    return reports_demo_load()
