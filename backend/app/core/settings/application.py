"""Application basics: name, API prefix, database, logging."""

from __future__ import annotations

from pydantic import BaseModel


class ApplicationSettings(BaseModel):
    PROJECT_NAME: str = "Tandem"
    API_V1_STR: str = "/api/v1"
    DATABASE_URL: str = "sqlite:///./tandem.db"
    LOG_LEVEL: str = "INFO"
