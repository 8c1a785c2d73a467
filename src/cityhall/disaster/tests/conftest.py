"""Fixtures of the disaster app's tests, defined per subject in `<subject>_fixtures.py`."""

from .shelters_fixtures import (  # noqa: F401
    manager,
    on_commit,
    other_clerk,
    shelter_clerk,
)
