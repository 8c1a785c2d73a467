"""Fixtures of the reports app's tests, defined per subject in `<subject>_fixtures.py`."""

from .open311_fixtures import api_key, open311_client, surfaces  # noqa: F401
from .staff_fixtures import (  # noqa: F401
    azabu_officer,
    manager,
    officer,
    recycle_officer,
    staff_member,
)
