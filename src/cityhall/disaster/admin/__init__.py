"""Admin of the disaster app, one module per subject."""

from . import alerts, shelters  # noqa: F401
