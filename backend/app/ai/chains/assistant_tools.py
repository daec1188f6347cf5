"""The assistant's tools: argument schemas, definitions for `bind_tools`, and runners.

Why validate here: a model's tool arguments are untrusted input. Each call is checked
against its pydantic schema (`extra="forbid"`) before it runs; an invalid call gets an
error message back as the tool result, so the model can correct itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from app.ai.rag.match_search import Lane, SearchRequest, known_skills, match_search_for
from app.ai.rag.text import query_terms
from app.models import CandidateRead, Job, JobRead
from app.repositories import CandidateRepository, JobRepository

MAX_SEARCH_RESULTS = 10


class SearchJobsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(max_length=200, description="Words to look for: skills, title, company.")
    remote: bool | None = Field(default=None, description="Only remote (true) or on-site (false) jobs.")
    limit: int = Field(default=5, ge=1, le=MAX_SEARCH_RESULTS, description="How many jobs to return.")


class GetCandidateArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    candidate_id: int = Field(ge=1, description="Id of the candidate.")


class GetJobArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: int = Field(ge=1, description="Id of the job.")


def _job_brief(job: JobRead) -> dict[str, Any]:
    return {
        "id": job.id, "title": job.title, "company": job.company, "remote": job.remote,
        "location": job.location, "seniority": job.seniority.value, "skills": job.required_skills,
    }


def search_jobs(session: Session, args: SearchJobsArgs) -> list[dict[str, Any]]:
    """Jobs matching the query through the full-text index, best first: jobs listing the
    query's known skills first, then any job mentioning one of its words."""
    words = query_terms(args.query)
    if not words:
        return []
    search = match_search_for(session)
    skills = known_skills(session, "jobs", words)
    ordered: list[int] = []
    for lane, request_skills in (("skills", skills), ("text", [])):
        if lane == "skills" and not skills:
            continue
        request = SearchRequest(
            skills=request_skills,
            words=words,
            weights={},
            lanes=[Lane(lane, args.limit, skills_only=lane == "skills", remote=args.remote,
                        rank="skills" if lane == "skills" else "words")],
        )
        found = search.jobs(request)
        ordered += [i for i in sorted(found, key=lambda i: (-found[i], -i)) if i not in ordered]
    chosen = ordered[: args.limit]
    rows = {row.id: row for row in session.exec(select(Job).where(col(Job.id).in_(chosen)))}
    return [_job_brief(JobRead.model_validate(rows[i])) for i in chosen if i in rows]


def get_candidate(session: Session, args: GetCandidateArgs) -> dict[str, Any]:
    row = CandidateRepository(session).get(args.candidate_id)
    if row is None:
        return {"error": f"Candidate {args.candidate_id} not found"}
    candidate = CandidateRead.model_validate(row)
    return candidate.model_dump(mode="json", exclude={"resume_text", "created_at"}) | {
        "resume_excerpt": candidate.resume_text[:500]
    }


def get_job(session: Session, args: GetJobArgs) -> dict[str, Any]:
    row = JobRepository(session).get(args.job_id)
    if row is None:
        return {"error": f"Job {args.job_id} not found"}
    job = JobRead.model_validate(row)
    return _job_brief(job) | {"description": job.description[:800], "salary_max": job.salary_max}


Runner = Callable[[Session, Any], Any]
TOOLS: dict[str, tuple[type[BaseModel], Runner, str]] = {
    "search_jobs": (SearchJobsArgs, search_jobs, "Search open jobs by skills or words."),
    "get_candidate": (GetCandidateArgs, get_candidate, "Look up one candidate's profile by id."),
    "get_job": (GetJobArgs, get_job, "Look up one job by id."),
}


def tool_definitions() -> list[dict[str, Any]]:
    """OpenAI-format function definitions (each provider's `bind_tools` converts them)."""
    return [
        {
            "type": "function",
            "function": {"name": name, "description": text, "parameters": schema.model_json_schema()},
        }
        for name, (schema, _, text) in TOOLS.items()
    ]


def run_tool(session: Session, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """(ok, JSON result) of one validated tool call; invalid calls are not run."""
    entry = TOOLS.get(name)
    if entry is None:
        return False, json.dumps({"error": f"unknown tool {name!r}; tools: {', '.join(TOOLS)}"})
    schema, runner, _ = entry
    try:
        args = schema.model_validate(arguments)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return False, json.dumps({"error": "invalid arguments", "problems": problems})
    return True, json.dumps(runner(session, args), default=str)
