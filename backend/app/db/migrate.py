"""Run the Alembic migrations from code (CLI `migrate`, `serve`, tests).

The config is built from absolute paths so it works from any working directory, and
the target URL is passed explicitly instead of being read from the environment.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from alembic import command
from app.db.engine import get_engine

BACKEND_DIR = Path(__file__).resolve().parents[2]
ALEMBIC_INI = BACKEND_DIR / "alembic.ini"
ALEMBIC_DIR = BACKEND_DIR / "alembic"


def alembic_config(url: str) -> Config:
    """Alembic config pointing at our scripts and at `url`."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False  # leave the app's logging alone
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating it when empty).

    Runs over the process's cached engine, so an in-memory SQLite database is migrated
    in place rather than in a throwaway copy.
    """
    config = alembic_config(url)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Roll the database at `url` back to `revision` (`base` drops every table)."""
    config = alembic_config(url)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def head_revision() -> str | None:
    """The newest revision among the migration scripts."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def init_db(url: str) -> None:
    """Prepare the database for serving: apply every pending migration."""
    upgrade(url, "head")
