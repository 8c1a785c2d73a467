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
