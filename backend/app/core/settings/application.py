"""Application basics: name, API prefix, database, logging."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ApplicationSettings(BaseModel):
    PROJECT_NAME: str = "Tandem"
    API_V1_STR: str = "/api/v1"
    DATABASE_URL: str = "sqlite:///./tandem.db"
    LOG_LEVEL: str = "INFO"
    SERVER_GC_TUNING: bool = Field(
        default=True,
        description="Freeze the start-up heap and collect less often while serving "
        "(app/core/gc_tuning.py); false keeps CPython's collector defaults.",
    )
