"""`CoverLetterChain`: a cover letter for (candidate, job, tone, length), streamable.

The letter is plain text, so it streams token by token (`astream`); a stream that
fails after content raises `StreamInterruptedError` from the provider layer and the
API turns it into a typed SSE `error` event. When no provider can answer before any
content, a template letter filled from the profile is the (degraded) answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from sqlmodel import Session

from app.ai.chains.recommendation_chain import candidate_summary, job_summary
from app.ai.chains.served import DATA_RULE, ServedBy, run_config
from app.ai.providers import AIRuntime, build_runtime
from app.ai.providers.errors import ProviderError
from app.core.config import Settings
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository

FEATURE = "cover_letter"


class Tone(StrEnum):
    formal = "formal"
    friendly = "friendly"
    enthusiastic = "enthusiastic"


class Length(StrEnum):
    short = "short"
    medium = "medium"
    long = "long"


WORDS = {Length.short: 120, Length.medium: 250, Length.long: 400}
OPENINGS = {
    Tone.formal: "I am writing to apply for the {title} position at {company}.",
    Tone.friendly: "I'd love to join {company} as your next {title}.",
    Tone.enthusiastic: "I was thrilled to see the {title} opening at {company}!",
}


@dataclass(frozen=True)
class LetterPiece:
    """A streamed piece: `text`, and on the last piece who served the letter."""

    text: str
    served: ServedBy | None = None


def template_letter(candidate: CandidateRead, job: JobRead, tone: Tone, length: Length) -> str:
    """The deterministic letter used when no provider can write one."""
    matched = [s for s in job.required_skills if s in set(candidate.skills)]
    skills = ", ".join(matched or candidate.skills[:4]) or "the skills this role needs"
    paragraphs = [
        "Dear Hiring Manager,",
        OPENINGS[tone].format(title=job.title, company=job.company),
        f"With {candidate.years_experience} years of experience as {candidate.headline or 'a professional'}, "
        f"I bring {skills}.",
    ]
    if length is not Length.short and candidate.resume_text:
        paragraphs.append(candidate.resume_text[: WORDS[length] * 3].strip())
    paragraphs += ["I would welcome the chance to discuss how I can help.", f"Sincerely,\n{candidate.name}"]
    return "\n\n".join(paragraphs)


class CoverLetterChain:
    """Writes a cover letter with the hybrid model; a template letter when degraded."""

    def __init__(self, session: Session, settings: Settings, runtime: AIRuntime | None = None) -> None:
        self.session = session
        self.settings = settings
        # The app's runtime (its circuits, budgets, metrics); a standalone chain builds its own.
        self.runtime = runtime or build_runtime(settings)

    def load(self, candidate_id: int, job_id: int) -> tuple[CandidateRead, JobRead]:
        """Both rows, or NotFoundError naming the missing one."""
        candidate = CandidateRead.model_validate(CandidateRepository(self.session).require(candidate_id))
        job = JobRead.model_validate(JobRepository(self.session).require(job_id))
        return candidate, job

    def messages(
        self, candidate: CandidateRead, job: JobRead, tone: Tone, length: Length
    ) -> list[BaseMessage]:
        return [
            SystemMessage(
                f"Write a {tone.value} cover letter of about {WORDS[length]} words for the candidate "
                f"applying to the job. Plain text, no placeholders.\n{DATA_RULE}"
            ),
            HumanMessage(f"Candidate:\n{candidate_summary(candidate)}\n\nJob:\n{job_summary(job)}"),
        ]

    async def astream(
        self, candidate_id: int, job_id: int, tone: Tone, length: Length, *, user_id: str | None = None
    ) -> AsyncIterator[LetterPiece]:
        """Pieces of the letter; the last one carries `served`.

        Raises ProviderError before any piece when no provider answered and degraded mode
        is off; StreamInterruptedError after content when the stream broke.
        """
        candidate, job = self.load(candidate_id, job_id)
        model = self.runtime.model()
        served: ServedBy | None = None
        sent = False
        try:
            async for chunk in model.astream(
                self.messages(candidate, job, tone, length), config=run_config(FEATURE, user_id)
            ):
                meta = chunk.response_metadata.get("hybrid")
                if meta:
                    served = ServedBy.from_metadata(meta)
                text = str(chunk.text)
                if text:
                    sent = True
                    yield LetterPiece(text)
        except ProviderError as error:
            if sent or not ServedBy.may_degrade(error, self.settings.AI_DEGRADED_MODE):
                raise
            yield LetterPiece(template_letter(candidate, job, tone, length), ServedBy.degraded_by(error))
            return
        yield LetterPiece("", served or ServedBy.local())

    async def arun(
        self, candidate_id: int, job_id: int, tone: Tone, length: Length, *, user_id: str | None = None
    ) -> tuple[str, ServedBy]:
        """The whole letter and who served it."""
        parts: list[str] = []
        served = ServedBy.local()
        async for piece in self.astream(candidate_id, job_id, tone, length, user_id=user_id):
            parts.append(piece.text)
            served = piece.served or served
        return "".join(parts), served
