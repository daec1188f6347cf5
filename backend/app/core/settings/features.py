"""The AI features: degraded mode, ranking sizes, assistant rounds and input limits."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FeatureSettings(BaseModel):
    AI_DEGRADED_MODE: bool = Field(
        default=True,
        description="When every provider failed: answer deterministically (true) or 503 (false).",
    )
    AI_MAX_RESULTS: int = Field(default=20, ge=1, le=100, description="Most items a ranking may return.")
    AI_SHORTLIST_SIZE: int = Field(
        default=10, ge=1, le=50, description="Items the local shortlist hands the model to rank."
    )
    ASSISTANT_MAX_TOOL_ROUNDS: int = Field(
        default=3, ge=0, le=10, description="Tool-call rounds per assistant turn before answering."
    )
    ASSISTANT_HISTORY_MESSAGES: int = Field(
        default=20, ge=1, le=200, description="Earlier messages sent to the model each turn."
    )

    # Data limits: requests over them get a 413 naming the setting.
    MAX_DOCUMENT_CHARS: int = Field(default=200_000, ge=1, description="Longest document body.")
    MAX_RESUME_CHARS: int = Field(default=50_000, ge=1, description="Longest candidate resume_text.")
    MAX_IMPORT_ITEMS: int = Field(default=1_000, ge=1, description="Most items in one bulk import.")
    MAX_QUESTION_CHARS: int = Field(default=2_000, ge=1, description="Longest Q&A question.")
    MAX_ASSISTANT_MESSAGE_CHARS: int = Field(
        default=8_000, ge=1, description="Longest assistant user message."
    )
