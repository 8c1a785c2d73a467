"""Admin for alerts."""
