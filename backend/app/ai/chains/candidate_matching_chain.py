"""`CandidateMatchingChain`: for a job, the top N candidates with score, strengths, gaps.

The mirror of `RecommendationChain`: stage one retrieves and re-scores candidates in
the database (`stage_one.candidates_for_job`), then the model ranks and explains only
the shortlist; local order when degraded.
"""

from __future__ import annotations

from app.ai.chains.ranking import (
    RankingChain,
    RankingInput,
    Shortlisted,
    ranking_schema,
    reads_then_release,
)
from app.ai.chains.recommendation_chain import candidate_summary, job_summary
from app.ai.chains.stage_one import candidates_for_job
from app.models import CandidateRead, JobRead
from app.repositories import JobRepository

FEATURE = "candidate_matching"
INSTRUCTIONS = (
    "You are a recruiter. Rank the shortlisted candidates for the job, best fit first, "
    "give each a fit_score from 0 to 100, their strengths and their gaps for this role. "
    "Use only candidate ids from the shortlist."
)
RESUME_CHARS_IN_SHORTLIST = 400


class CandidateMatchingChain(RankingChain[CandidateRead]):
    """Candidates for a job: local shortlist, then the model ranks and explains it."""

    feature = FEATURE
    instructions = INSTRUCTIONS
    id_field = "candidate_id"

    def shortlist(self, job: JobRead, n: int) -> list[Shortlisted[CandidateRead]]:
        size = max(n, self.settings.AI_SHORTLIST_SIZE)
        scored = candidates_for_job(self.session, job, size)
        return [
            Shortlisted(
                s.candidate.id,
                s.candidate,
                s.score,
                {"strengths": s.strengths, "gaps": s.gaps},
                candidate_summary(s.candidate, RESUME_CHARS_IN_SHORTLIST),
            )
            for s in scored
        ]

    def prepare(self, job_id: int, n: int) -> RankingInput[CandidateRead]:
        """Stage one, blocking: read the job, retrieve and shortlist, schema.

        The DB connection is given back before the (slow) provider call.
        """
        with reads_then_release(self.session):
            job = JobRead.model_validate(JobRepository(self.session).require(job_id))
            shortlist = self.shortlist(job, n)
        schema = ranking_schema(
            "CandidateRanking", "candidate_id", [e.id for e in shortlist], ["strengths", "gaps"]
        )
        return RankingInput("Job:\n" + job_summary(job), shortlist, schema)
