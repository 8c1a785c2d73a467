"""Fixtures of the reports app's tests, defined per subject in `<subject>_fixtures.py`."""

from .open311_fixtures import api_key, open311_client, surfaces  # noqa: F401
