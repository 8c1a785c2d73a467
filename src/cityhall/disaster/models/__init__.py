"""Data of the disaster app, one module per subject."""

from .alerts import *  # noqa: F403
from .shelters import *  # noqa: F403
