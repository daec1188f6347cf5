"""Continuing a cut answer on another provider: the prefill rules, as pure functions.

When a stream fails after the caller has received text, the call can still end with
one complete answer: the next provider gets the original messages plus the text
already sent as a trailing assistant turn (a *prefill*) and continues it; its text is
appended. What no library does for us, and so is written here:

* **Who may continue** (`continuers`): only a model that continues a final assistant
  turn (its adapter's `supports_prefill`, minus the models that answered a prefill with
  a 400 during this runtime's life -- `PrefillRefusals`). OpenAI's Chat Completions
  accept such a turn but start a *new* message, which would repeat the answer, so they
  are never asked. A stream that sent part of a tool call, or a structured answer
  (parsed by the serving provider's own parser), is never continued: half a tool call
  or half of one provider's JSON cannot be spliced onto another's.
* **The join** (`prefill_for`, `Joiner`, `splice`): Anthropic refuses a prefill that ends
  in whitespace, so the trailing whitespace is held back from the prefill; the caller
  already has it, so the continuation's own leading whitespace is dropped instead. The
  result: no word doubled, none glued to the next.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage

from app.ai.providers.adapters.base import Member


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the continuing provider is sent, and how to join its answer."""

    messages: list[BaseMessage]
    """The original messages with the sent text as the final assistant turn."""
    held_back: str
    """Trailing whitespace the caller has but the prefill omits."""


def prefill_for(messages: Sequence[BaseMessage], sent: str) -> Prefill:
    """Messages that ask a model to continue `sent` (the text the caller already has).

    A conversation that already ends with an assistant turn (the caller's own prefill,
    which the failed provider was continuing) gets the sent text appended to it.
    """
    body = sent.rstrip()
    held_back = sent[len(body):]
    history = list(messages)
    last = history[-1] if history else None
    if isinstance(last, AIMessage) and isinstance(last.content, str) and not last.tool_calls:
        history[-1] = AIMessage(content=(last.content + body).rstrip())
    else:
        history.append(AIMessage(content=body))
    return Prefill(history, held_back)


class Joiner:
    """Turns the continuing provider's text pieces into what the caller still needs.

    While the held-back whitespace is pending, the continuation's leading whitespace is
    dropped (the caller's text already ends with a separator); afterwards text passes
    through unchanged. A continuation that starts mid-word passes through at once.
    """

    def __init__(self, held_back: str) -> None:
        self._pending = bool(held_back)

    def feed(self, text: str) -> str:
        if not self._pending or not text:
            return text
        stripped = text.lstrip()
        if stripped:
            self._pending = False
        return stripped


def splice(sent: str, continued: str) -> str:
    """The whole answer: what was sent, then the continuation joined as `Joiner` does."""
    prefill_text = sent.rstrip()
    return sent + Joiner(sent[len(prefill_text):]).feed(continued)


class PrefillRefusals:
    """Models that answered a prefill with a 400 in this runtime: not asked again.

    Part of the runtime's state (one per application), never process-wide: another
    application may talk to another deployment of the same model name.
    """

    def __init__(self) -> None:
        self._refused: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def refused(self, provider: str, model: str) -> None:
        with self._lock:
            self._refused.add((provider, model))

    def refuses(self, provider: str, model: str) -> bool:
        with self._lock:
            return (provider, model) in self._refused


def can_continue(member: Member, refusals: PrefillRefusals | None = None) -> bool:
    """Whether `member` may be sent a prefill: declared capable, not learned otherwise,
    and not producing structured output (which its own parser would read)."""
    if member.parser is not None or not member.adapter.supports_prefill(member.model_name):
        return False
    return refusals is None or not refusals.refuses(member.name, member.model_name)


def continuers(
    members: Sequence[Member],
    failed: Member,
    *,
    refusals: PrefillRefusals | None = None,
    exclude: Iterable[str] = (),
) -> list[Member]:
    """Members that may continue `failed`'s cut answer, best first.

    The members after `failed` in routing order come first (the next provider, as with
    any failover), then the ones before it; `failed` itself last -- a provider that
    just broke is the least likely to finish the answer.
    """
    excluded = set(exclude)
    names = [m.name for m in members]
    at = names.index(failed.name) if failed.name in names else len(members)
    order = [*members[at + 1:], *members[:at], failed]
    seen: set[str] = set()
    chosen = []
    for member in order:
        if member.name in seen or member.name in excluded:
            continue
        seen.add(member.name)
        if can_continue(member, refusals):
            chosen.append(member)
    return chosen


def is_prefill_refusal(exc: BaseException) -> bool:
    """A 400 to a prefilled request: the model (or its server) cannot continue a turn.

    Any 400 counts: the same messages without the final turn were accepted moments ago
    by the failed provider, and providers word this refusal differently (Anthropic: "does
    not support assistant message prefill", "trailing whitespace"; Gemini:
    INVALID_ARGUMENT; vLLM: template errors).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # LangChain wraps SDK errors
        seen.add(id(current))
        for attr in ("status_code", "code"):
            if getattr(current, attr, None) == 400:
                return True
        current = current.__cause__
    return False
