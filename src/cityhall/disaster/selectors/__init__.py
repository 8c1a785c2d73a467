"""Named queries of the disaster app, one module per subject."""
