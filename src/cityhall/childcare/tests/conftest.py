"""Fixtures of the childcare tests. The nursery admission fixtures live in
`admission_fixtures` (one module per part of the app, so that the parts merge cleanly)."""

from .admission_fixtures import (  # noqa: F401 - fixtures
    admission_round,
    nurseries,
    officer,
    points_table,
)

# -- infant health checkups (取組23) --
from .checkup_fixtures import kind, sessions  # noqa: F401 - fixtures

# -- immunisation reminders and coverage (取組23) --
from .imm_ops_fixtures import (  # noqa: F401 - fixtures
    coverage_children,
    coverage_officer,
    failing_sender,
    sent,
)
from .immunisation_fixtures import infant, mika, yobou  # noqa: F401 - fixtures (取組23)
from .online_fixtures import open_round  # noqa: F401 - fixtures (online applications)
