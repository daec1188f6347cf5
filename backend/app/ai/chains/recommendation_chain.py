"""`RecommendationChain`: for a candidate, the top N jobs with a fit score and reasons.

Two stages, so the model never sees the catalogue: stage one (`stage_one.py`: the
database retrieves a few hundred jobs through its indexes, re-scored locally) picks the
shortlist, then the model ranks and explains only those (`ranking.py`). Without a working provider the
local order with its rule-based reasons is the answer, marked degraded.
"""

from __future__ import annotations

from app.ai.chains.ranking import (
    RankingChain,
    RankingInput,
    Shortlisted,
    ranking_schema,
    reads_then_release,
)
from app.ai.chains.served import data_block
from app.ai.chains.stage_one import jobs_for_candidate
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository

FEATURE = "recommendations"
INSTRUCTIONS = (
    "You are a recruiter. Rank the shortlisted jobs for the candidate, best fit first, "
    "give each a fit_score from 0 to 100 and one to three short reasons grounded in the "
    "candidate's profile. Use only job ids from the shortlist."
)


def candidate_summary(candidate: CandidateRead, resume_chars: int = 1_500) -> str:
    """The candidate as data for a prompt (résumé cut: the shortlist already used it)."""
    wants = []
    if candidate.desired_locations:
        wants.append("locations " + ", ".join(candidate.desired_locations))
    if candidate.remote_only:
        wants.append("remote only")
    if candidate.min_salary:
        wants.append(f"at least {candidate.min_salary} {candidate.currency}")
    text = (
        f"{candidate.name} - {candidate.headline}\n"
        f"Skills: {', '.join(candidate.skills)}\n"
        f"Experience: {candidate.years_experience} years; level {candidate.effective_seniority.value}\n"
        f"Wants: {'; '.join(wants) or 'no stated preferences'}\n"
        f"Résumé: {candidate.resume_text[:resume_chars]}"
    )
    return data_block("candidate", candidate.id, text)


def job_summary(job: JobRead, description_chars: int = 600) -> str:
    """The job as data for a prompt."""
    salary = (
        f"{job.salary_min or '?'}-{job.salary_max or '?'} {job.currency}"
        if job.salary_min or job.salary_max
        else "not stated"
    )
    text = (
        f"{job.title} at {job.company} ({job.seniority.value}; "
        f"{'remote' if job.remote else job.location or 'location not stated'}; salary {salary})\n"
        f"Required skills: {', '.join(job.required_skills)}\n"
        f"{job.description[:description_chars]}"
    )
    return data_block("job", job.id, text)


class RecommendationChain(RankingChain[JobRead]):
    """Jobs for a candidate: local shortlist, then the model ranks and explains it."""

    feature = FEATURE
    instructions = INSTRUCTIONS
    id_field = "job_id"

    def shortlist(self, candidate: CandidateRead, n: int) -> list[Shortlisted[JobRead]]:
        size = max(n, self.settings.AI_SHORTLIST_SIZE)
        scored = jobs_for_candidate(self.session, candidate, size)
        return [
            Shortlisted(s.job.id, s.job, s.score, {"reasons": s.reasons}, job_summary(s.job))
            for s in scored
        ]

    def prepare(self, candidate_id: int, n: int) -> RankingInput[JobRead]:
        """Stage one, blocking: read the candidate, retrieve and shortlist, schema.

        The DB connection is given back before the (slow) provider call.
        """
        with reads_then_release(self.session):
            candidate = CandidateRead.model_validate(CandidateRepository(self.session).require(candidate_id))
            shortlist = self.shortlist(candidate, n)
        schema = ranking_schema("JobRanking", "job_id", [e.id for e in shortlist], ["reasons"])
        return RankingInput("Candidate:\n" + candidate_summary(candidate), shortlist, schema)
