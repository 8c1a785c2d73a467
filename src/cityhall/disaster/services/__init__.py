"""Every write and business rule of the disaster app, one module per subject; callers import
from `cityhall.disaster.services`."""

from .alerts import *  # noqa: F403
from .shelters import *  # noqa: F403
