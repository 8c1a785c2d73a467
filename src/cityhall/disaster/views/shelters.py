"""Shelter pages."""
