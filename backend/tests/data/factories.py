"""Small builders of valid request payloads, so each test states only what it cares about."""

from __future__ import annotations

from typing import Any

from app.models import CandidateCreate, DocumentCreate, JobCreate


def job(**fields: Any) -> JobCreate:
    """A valid job; `fields` override the defaults."""
    data: dict[str, Any] = {
        "title": "Backend Engineer",
        "company": "Acme",
        "location": "Berlin",
        "remote": False,
        "salary_min": 60_000,
        "salary_max": 80_000,
        "currency": "EUR",
        "description": "Build APIs in Python.",
        "required_skills": ["python", "sql"],
        "seniority": "mid",
    }
    data.update(fields)
    return JobCreate.model_validate(data)


def candidate(**fields: Any) -> CandidateCreate:
    """A valid candidate; `fields` override the defaults."""
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "headline": "Backend engineer",
        "skills": ["python", "sql"],
        "years_experience": 5,
        "resume_text": "I build data-heavy web services.",
        "desired_locations": ["Berlin"],
        "remote_only": False,
        "min_salary": 70_000,
        "currency": "EUR",
        "desired_seniority": "mid",
    }
    data.update(fields)
    return CandidateCreate.model_validate(data)


def document(**fields: Any) -> DocumentCreate:
    """A valid document; `fields` override the defaults."""
    data: dict[str, Any] = {"title": "Policy", "body": "Some policy text.", "source": "test"}
    data.update(fields)
    return DocumentCreate.model_validate(data)
