"""Pages of the disaster app, one module per subject."""
