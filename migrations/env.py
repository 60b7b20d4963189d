"""Alembic environment: the URL comes from the app's settings (DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from helpline.db import DatabaseLimits, make_engine
from helpline.models import metadata
from helpline.settings import Settings

config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write our UTC type as a plain timezone-aware DateTime, so migrations do not
    depend on application code."""
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Schema changes may take longer than any request: no statement timeout here.
    engine = make_engine(_url(), poolclass=pool.NullPool,
                         limits=DatabaseLimits(statement_timeout_ms=0))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
