"""Fixtures for the ivr tests."""
