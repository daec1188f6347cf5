"""`CoverLetterChain`: a cover letter for (candidate, job, tone, length), streamable.

The letter is plain text, so it streams token by token (`astream`) through the provider
layer's whole-text stream (`engine/completion.astream_whole`): a letter cut by the output
limit is continued, and a stream cut after content that no provider could continue
restarts on the next provider (a `LetterPiece` with `restart`: the caller drops what it
showed). Only when that fails too does `StreamInterruptedError` end the stream (a typed
SSE `error` event). When no provider can answer before any content, a template letter
filled from the profile is the (degraded) answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

from langchain_core.messages import BaseMessage, SystemMessage
from sqlmodel import Session

from app.ai.chains.recommendation_chain import candidate_summary, job_summary
from app.ai.chains.served import DATA_RULE, ServedBy, run_config, stable_first
from app.ai.providers import AIRuntime, build_runtime
from app.ai.providers.engine.completion import Restart, astream_whole
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
    """A streamed piece: `text`; on the last piece who served the letter; `restart` when
    the letter starts again on another provider (drop the text received so far)."""

    text: str
    served: ServedBy | None = None
    restart: Restart | None = None


def template_letter(candidate: CandidateRead, job: JobRead, tone: Tone, length: Length) -> str:
    """The deterministic letter used when no provider can write one.

    Written in the first person from the profile's structured fields only. The résumé
    text is not pasted in: résumés are usually third-person ("Ada is a backend
    engineer..."), and only a model can turn one into the candidate's own voice.
    """
    have = set(candidate.skills)
    matched = [s for s in job.required_skills if s in have]
    skills = ", ".join(matched or candidate.skills[:4]) or "the skills this role needs"
    paragraphs = [
        "Dear Hiring Manager,",
        OPENINGS[tone].format(title=job.title, company=job.company),
        f"With {candidate.years_experience} years of experience as {candidate.headline or 'a professional'}, "
        f"I bring {skills}.",
    ]
    if length is not Length.short:
        paragraphs.append(_fit_paragraph(candidate, job, matched))
    if length is Length.long:
        paragraphs.append(_where_paragraph(candidate, job))
    paragraphs += ["I would welcome the chance to discuss how I can help.", f"Sincerely,\n{candidate.name}"]
    return "\n\n".join(paragraphs)


def _fit_paragraph(candidate: CandidateRead, job: JobRead, matched: list[str]) -> str:
    others = [s for s in candidate.skills if s not in matched][:4]
    missing = [s for s in job.required_skills if s not in set(candidate.skills)][:3]
    sentences = []
    if matched:
        sentences.append(f"Your listing asks for {', '.join(matched)}, which I use in my daily work.")
    if others:
        sentences.append(f"I also work with {', '.join(others)}.")
    if missing:
        sentences.append(f"I am keen to deepen my experience with {', '.join(missing)} in this role.")
    return " ".join(sentences) or f"I am confident my experience fits the {job.title} role."


def _where_paragraph(candidate: CandidateRead, job: JobRead) -> str:
    if candidate.remote_only:
        return "I am looking for a remote role."
    if candidate.desired_locations:
        return f"I am looking to work in {', '.join(candidate.desired_locations[:3])}."
    return f"I would be glad to contribute to {job.company} wherever the team needs me."


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
                "Write a cover letter for the candidate applying to the job, in the tone and "
                f"length asked at the end. Plain text, no placeholders.\n{DATA_RULE}"
            ),
            stable_first(
                f"Candidate:\n{candidate_summary(candidate)}",
                f"Job:\n{job_summary(job)}",
                variable=f"Tone: {tone.value}. Length: about {WORDS[length]} words.",
            ),
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
            messages = self.messages(candidate, job, tone, length)
            async for chunk in astream_whole(model, messages, config=run_config(FEATURE, user_id)):
                if isinstance(chunk, Restart):
                    sent = False  # the text shown so far is dropped: nothing stands
                    yield LetterPiece("", restart=chunk)
                    continue
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
            if piece.restart is not None:
                parts.clear()  # JSON answers restart invisibly
            parts.append(piece.text)
            served = piece.served or served
        return "".join(parts), served
