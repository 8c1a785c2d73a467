"""Admin for shelters."""
