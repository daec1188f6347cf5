"""How an answer ended: complete, cut by the output limit, or stopped by a content filter.

Each provider names its endings differently (OpenAI `finish_reason`, Anthropic
`stop_reason`, Gemini `finishReason`); the adapter's `terminal_metadata_keys` say
where LangChain puts them. Two endings must never pass for a plain success:

* **truncated** (`length`, `max_tokens`, `MAX_TOKENS`): the answer is flagged
  (`truncated: true`, `finish_reason`) and the project's own text features continue it;
* **filtered** (`content_filter`, `refusal`; Gemini's safety endings raise in its
  adapter already): `ContentFilteredError`, its own error class -- no retry, no
  failover by default, a 422 at the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage

from app.ai.providers.adapters.base import Member
from app.ai.providers.errors import ContentFilteredError

#: Endings that mean "the output limit cut the answer".
TRUNCATED = frozenset({"length", "max_tokens", "MAX_TOKENS", "model_context_window_exceeded"})
#: Endings that mean "the provider's content policy stopped the answer".
FILTERED = frozenset({"content_filter", "refusal"})


def finish_reason(
    member: Member, message: BaseMessage, generation_info: Mapping[str, Any] | None = None
) -> str | None:
    """The provider's ending of `message` (or of a stream chunk), as a plain string."""
    info = generation_info or {}
    meta = message.response_metadata or {}
    for key in member.adapter.terminal_metadata_keys:
        value = info.get(key) or meta.get(key)
        if value:
            return str(getattr(value, "name", value))  # Gemini hands over an enum
    return None


def check_ending(
    member: Member, message: BaseMessage, generation_info: Mapping[str, Any] | None = None
) -> str | None:
    """The ending of `message`; raises `ContentFilteredError` when a filter stopped it."""
    reason = finish_reason(member, message, generation_info)
    if reason in FILTERED:
        raise ContentFilteredError(
            member.name, reason, f"{member.name} ({member.model_name}) stopped the answer: {reason}"
        )
    return reason


def is_truncated(reason: str | None) -> bool:
    return reason in TRUNCATED
