"""messaging adapter."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this adapter's routes on app."""
