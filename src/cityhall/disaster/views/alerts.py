"""Alert pages."""
