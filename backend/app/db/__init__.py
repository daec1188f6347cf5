"""Database access: engines per URL, sessions, the request dependency and migrations."""

from app.db.engine import create_db_engine, dispose_engines, get_engine, new_session, session_scope
from app.db.migrate import current_revision, downgrade, init_db, upgrade
from app.db.session import SessionDep, get_session
from app.db.versioning import bump_versions, read_version

__all__ = [
    "SessionDep",
    "bump_versions",
    "create_db_engine",
    "current_revision",
    "dispose_engines",
    "downgrade",
    "get_engine",
    "get_session",
    "init_db",
    "new_session",
    "read_version",
    "session_scope",
    "upgrade",
]
