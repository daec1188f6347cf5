"""A whole text answer: an answer cut by the output limit is continued, not passed off.

The project's own text features (cover letters, assistant, Q&A, `/ai/complete`) want
the whole text, not just what fitted in one output limit. `acomplete` asks the model,
and while the answer says `truncated` (finish `length` / `max_tokens` / `MAX_TOKENS`)
continues it with the prefill rules of `policies/continuation.py` -- only on members
that can continue a final assistant turn -- up to `AI_MAX_CONTINUATIONS` times. What
is still cut after that stays flagged `truncated: true`; it is never a plain success.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import add_usage
from langchain_core.runnables import RunnableConfig

from app.ai.providers.errors import HybridProviderError
from app.ai.providers.policies.continuation import can_continue, prefill_for, splice

if TYPE_CHECKING:
    from app.ai.providers.engine.chat_model import HybridChatModel


async def acomplete(
    model: HybridChatModel, messages: Sequence[BaseMessage], config: RunnableConfig | None = None
) -> AIMessage:
    """The answer to `messages`, continued while the output limit cut it (see module)."""
    answer = await model.ainvoke(list(messages), config)
    meta: dict[str, Any] = dict(answer.response_metadata.get("hybrid") or {})
    text, usage = str(answer.text), answer.usage_metadata
    policy = model.policy
    continued = 0
    while meta.get("truncated") and continued < policy.max_continuations and not answer.tool_calls:
        capable = [m for m in model.members if can_continue(m, policy.prefill_refusals)]
        if not capable:
            break
        try:
            more = await model.with_members(capable).ainvoke(prefill_for(messages, text).messages, config)
        except HybridProviderError:
            break  # the part we have stays flagged truncated
        extra: dict[str, Any] = more.response_metadata.get("hybrid") or {}
        continued += 1
        text = splice(text, str(more.text))
        usage = add_usage(usage, more.usage_metadata) if more.usage_metadata else usage
        meta.update(
            truncated=bool(extra.get("truncated")),
            finish_reason=extra.get("finish_reason"),
            continuations=continued,
            continued_by=extra.get("provider"),
            attempts=[*meta.get("attempts", []), *extra.get("attempts", [])],
            cost_usd=_sum(meta.get("cost_usd"), extra.get("cost_usd")),
        )
    if not continued:
        return answer
    return AIMessage(content=text, response_metadata={**answer.response_metadata, "hybrid": meta},
                     usage_metadata=usage)


def _sum(*costs: Any) -> float | None:
    known = [float(c) for c in costs if c is not None]
    return round(sum(known), 8) if known else None
