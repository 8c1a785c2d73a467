"""Emergency alert services."""
