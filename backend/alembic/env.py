"""Alembic environment: SQLite (batch mode, so ALTERs work) and PostgreSQL.

The URL comes from `config.attributes["database_url"]` (set by app.db.migrate), then
`sqlalchemy.url` in the ini, then the DATABASE_URL setting.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table for autogenerate)
from alembic import context
from app.db.engine import create_db_engine

config = context.config
target_metadata = SQLModel.metadata

#: Objects the migrations create by hand that autogenerate must not try to drop.
_UNMANAGED_PREFIXES = ("document_chunks_fts", "jobs_fts", "candidates_fts")
_UNMANAGED_COLUMNS = {
    ("document_chunks", "search_vector"),
    ("jobs", "search_vector"),
    ("candidates", "search_vector"),
}
_UNMANAGED_INDEXES = {
    "ix_document_chunks_search_vector",
    "ix_jobs_search_vector",
    "ix_candidates_search_vector",
    "ix_jobs_location_key",
}

if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from app.core.config import get_settings

    return get_settings().DATABASE_URL


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name and name.startswith(_UNMANAGED_PREFIXES):
        return False
    if type_ == "index" and name in _UNMANAGED_INDEXES:
        return False
    return not (type_ == "column" and (obj.table.name, name) in _UNMANAGED_COLUMNS)


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of connecting (`alembic upgrade head --sql`)."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or over a short-lived engine of our own.

    Batch mode on SQLite makes column changes recreate the table (SQLite has few ALTERs).
    """
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_db_engine(_database_url())
    try:
        with engine.connect() as own_connection:
            _run_on(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
