"""Emergency alerts (CAP 1.2): drafts, approval, publication, updates and cancels."""
