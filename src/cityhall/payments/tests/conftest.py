"""Fixtures of the payments engine's tests: a fake Stripe that the real card adapter talks
to, and tasks and listeners run at the commit as a worker would run them."""

import pytest

from .fake_stripe import serving_django


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit(): service(...)` runs what the service leaves for after the commit
    (tasks, listeners) when the block ends, inside the test's transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def fake_stripe(settings, on_commit):
    """A running fake Stripe (`FakeStripe`) with the project pointed at it: test keys,
    "stripe" enabled, tasks run at once, webhooks delivered to `payments:stripe_webhook`."""
    with serving_django(settings, run_on_commit=on_commit) as fake:
        yield fake
