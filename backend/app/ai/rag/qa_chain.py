"""`QAChain`: answers a question from the knowledge documents, citing the chunks used.

Why these rules:
* Retrieval is full-text (no provider needed), so "nothing relevant" is known before
  any model call: the chain then says it does not know and calls no model at all.
* Retrieved text is untrusted: it goes into the prompt inside `<document id=...>` tags
  with an instruction to treat it as data, never as instructions.
* Citations are constrained like the ranking ids: the schema's `cited_chunk_ids` is a
  `Literal` of the retrieved chunk ids, so the model cannot cite what it was not shown.
* Without a working provider the best passages themselves are the answer (degraded).
* Retrieval runs on every call; with a response cache (`cache`) only the model call is
  spared, for exactly the same question over exactly the same retrieved passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import Session

from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.chains.served import DATA_RULE, ServedBy, data_block, run_config, stable_first
from app.ai.providers import AIRuntime, build_runtime
from app.ai.providers.errors import OutputTruncatedError, ProviderError
from app.ai.rag.retrieval import RetrievedChunk, retrieve
from app.core.config import Settings

FEATURE = "document_qa"
DONT_KNOW = "I don't know: no document in the knowledge base covers this question."
INSTRUCTIONS = (
    "Answer the question using only the documents below. Cite the ids of the documents "
    "you used in cited_chunk_ids. If they do not contain the answer, say you don't know."
)
DEGRADED_PASSAGES = 3
PASSAGE_PREVIEW_CHARS = 400


@dataclass(frozen=True)
class QAAnswer:
    answer: str
    citations: list[RetrievedChunk]
    served: ServedBy
    found: bool
    """False when nothing relevant was retrieved (the answer is "I don't know")."""
    complete: bool = True
    """False when the model's structured answer did not parse (its raw text is the answer)."""


def answer_schema(chunk_ids: list[int]) -> type[BaseModel]:
    cited: Any = Literal.__getitem__(tuple(chunk_ids))
    return create_model(
        "DocumentAnswer",
        __config__=ConfigDict(extra="forbid"),
        answer=(str, Field(description="The answer, from the documents only.")),
        cited_chunk_ids=(list[cited], Field(description="Ids of the documents the answer uses.")),
    )


_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s|$)")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"')\]]*$")


def excerpt(text: str, limit: int = PASSAGE_PREVIEW_CHARS) -> str:
    """`text` shortened to at most `limit` characters (plus an ellipsis) without cutting a sentence.

    Whole sentences when the first one fits; otherwise the words that fit, then "…". A
    passage that itself stops mid-sentence (a chunk boundary) also ends in "…", so a
    reader never takes a cut sentence for the document's complete statement.
    """
    text = " ".join(text.split())
    if len(text) > limit:
        head = text[: limit + 1]
        ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() <= limit]
        words = head[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
        text = head[: ends[-1]] if ends else words + "…"
    if text and not _ENDS_SENTENCE.search(text):
        text += "…"
    return text


CUT_ANSWER = "The AI answer was cut by the output limit; the most relevant passages are:"


def degraded_answer(chunks: list[RetrievedChunk], heading: str | None = None) -> str:
    lines = [heading or "AI is unavailable right now; the most relevant passages are:"]
    for chunk in chunks[:DEGRADED_PASSAGES]:
        lines.append(f"- {chunk.document_title}: {excerpt(chunk.text)}")
    return "\n".join(lines)


class QAChain:
    """Retrieval-augmented answers with citations."""

    def __init__(self, session: Session, settings: Settings, runtime: AIRuntime | None = None) -> None:
        self.session = session
        self.settings = settings
        # The app's runtime (its circuits, budgets, metrics); a standalone chain builds its own.
        self.runtime = runtime or build_runtime(settings)

    async def arun(
        self,
        question: str,
        *,
        k: int = 5,
        document_ids: list[int] | None = None,
        user_id: str | None = None,
        cache: ModelAnswerCache | None = None,
    ) -> QAAnswer:
        """Answer `question`; ProviderError only when AI_DEGRADED_MODE is off."""
        chunks = retrieve(self.session, question, k, document_ids=document_ids)
        if not chunks:
            return QAAnswer(DONT_KNOW, [], ServedBy.local(), found=False)
        documents = "\n".join(
            data_block("document", c.chunk_id, f"{c.document_title}\n{c.text}") for c in chunks
        )
        messages: list[BaseMessage] = [
            SystemMessage(f"{INSTRUCTIONS}\n{DATA_RULE}"),
            stable_first(documents, variable=f"Question: {question}"),
        ]
        schema = answer_schema([c.chunk_id for c in chunks])
        key = cache.key(INSTRUCTIONS, messages, schema) if cache is not None else ""
        hit = await cache.lookup(key, schema) if cache is not None else None
        if hit is not None:
            return _answer(hit.parsed, chunks, hit.served)
        model = self.runtime.model()
        structured = model.with_structured_output(schema, include_raw=True)
        try:
            result: dict[str, Any] = await structured.ainvoke(messages, config=run_config(FEATURE, user_id))
        except ProviderError as error:
            if not ServedBy.may_degrade(error, self.settings.AI_DEGRADED_MODE):
                raise
            passages = chunks[:DEGRADED_PASSAGES]
            return QAAnswer(degraded_answer(chunks), passages, ServedBy.degraded_by(error), True)
        served = ServedBy.from_message(result["raw"])
        parsed = result.get("parsed")
        if isinstance(result.get("parsing_error"), OutputTruncatedError):  # cut twice: never half an answer
            return QAAnswer(degraded_answer(chunks, CUT_ANSWER), chunks[:DEGRADED_PASSAGES], served, True,
                            complete=False)
        if parsed is None:  # unparseable answer: keep the raw text, cite what it was given
            return QAAnswer(str(result["raw"].text), chunks, served, True, complete=False)
        if cache is not None:
            await cache.store(key, parsed.model_dump(mode="json"), served, True)
        return _answer(parsed, chunks, served)


def _answer(parsed: Any, chunks: list[RetrievedChunk], served: ServedBy) -> QAAnswer:
    """The model's answer with the retrieved chunks it cites (the first one if none)."""
    cited = set(parsed.cited_chunk_ids)
    citations = [c for c in chunks if c.chunk_id in cited] or chunks[:1]
    return QAAnswer(str(parsed.answer), citations, served, True)
