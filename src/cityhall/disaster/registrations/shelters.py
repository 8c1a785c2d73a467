"""Wires the shelters subject of the disaster app to core and the engines (portal links, roles,
reference data, periodic tasks, engine registries)."""


def register() -> None:
    pass
