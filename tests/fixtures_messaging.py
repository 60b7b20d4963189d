"""Fixtures for the messaging tests."""
