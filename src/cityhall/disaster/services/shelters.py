"""Shelter status services."""
