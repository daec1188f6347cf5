"""FastAPI dependency giving each request a session on the app's own database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.db.engine import get_engine, new_session


def get_session(request: Request) -> Iterator[Session]:
    """A session on `request.app.state.settings.DATABASE_URL`, closed after the response."""
    engine = get_engine(request.app.state.settings.DATABASE_URL)
    with new_session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
