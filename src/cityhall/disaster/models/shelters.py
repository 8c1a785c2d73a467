"""Shelter status: opening, crowding, assigned staff and the history of changes."""
