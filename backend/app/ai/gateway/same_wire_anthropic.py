"""Same-wire attempts on Anthropic's Messages wire: `/v1/messages` served by Anthropic.

The counterpart of `same_wire.py`'s OpenAI path. A Messages request body is what
Anthropic's API takes, so an attempt on an Anthropic member sends it through the
official SDK's low-level `post` (its auth, version header, base URL, timeouts, typed
errors) with the served model put in and Tandem's prompt-cache breakpoints added, and
reads the answer with `ChatAnthropic`'s own converters (`_format_output`,
`_make_message_chunk_from_anthropic_event`) and error mapping -- skipping LangChain's
message conversion, the payload build and the SDK's per-field request transform.
What comes back is what `ChatAnthropic._agenerate` / `_astream` would return, so the
engine treats both paths alike.

Only a plain Anthropic member qualifies: one whose model settings would add nothing to
the payload beyond model, temperature and cache breakpoints (no betas, thinking, MCP
servers, extra model kwargs ...). A request asking for structured output
(`output_format` / `output_config`) stays on the translated path, where LangChain
chooses the beta and the form the model supports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import anthropic
from anthropic import AsyncStream
from anthropic.types import Message, RawMessageStreamEvent
from langchain_anthropic import ChatAnthropic
from langchain_anthropic import chat_models as lc_anthropic
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from app.ai.providers.adapters.anthropic import CachingChatAnthropic
from app.ai.providers.adapters.prompt_caching import add_breakpoints

#: Request fields that are Tandem's, not Anthropic's: never sent upstream.
TANDEM_FIELDS = ("fallbacks",)
#: Request fields whose handling LangChain decides (beta headers, the model's form).
TRANSLATED_ONLY = ("output_format", "output_config")
#: `ChatAnthropic` settings that would add to the payload: any set, and the member is
#: not plain (its attempts take the translated path).
_PAYLOAD_SETTINGS = (
    "betas", "context_management", "mcp_servers", "container", "user_profile_id", "model_kwargs",
    "thinking", "inference_geo", "output_config", "reasoning_effort", "top_k", "top_p",
    "stop_sequences",
)


def serves(model: object, body: Mapping[str, Any]) -> bool:
    """True when `model` takes the Messages `body` as it is."""
    return (
        type(model) in (ChatAnthropic, CachingChatAnthropic)
        and not any(getattr(model, name, None) for name in _PAYLOAD_SETTINGS)
        and not any(body.get(key) is not None for key in TRANSLATED_ONLY)
    )


def body_for(model: ChatAnthropic, body: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's body for this attempt: the served model in, cache breakpoints added.

    The messages are copied one level down: marking a breakpoint replaces a message's
    content, and the caller's body is shared by every attempt of the call.
    """
    sent = {k: v for k, v in body.items() if k not in TANDEM_FIELDS}
    sent["model"] = kwargs.get("model") or model.model
    sent["messages"] = [dict(message) for message in sent["messages"]]
    if "temperature" not in sent and model.temperature is not None:
        sent["temperature"] = model.temperature
    if getattr(model, "prompt_caching", False):
        add_breakpoints(sent, sent["model"])
    return sent


def _reraised(error: anthropic.APIError) -> None:
    """The SDK error as `ChatAnthropic` re-raises it (same types, same classification)."""
    if isinstance(error, anthropic.BadRequestError):
        lc_anthropic._handle_anthropic_bad_request(error)
    lc_anthropic._handle_anthropic_api_error(error)


async def agenerate(
    client: anthropic.AsyncAnthropic,
    base: str,
    model: ChatAnthropic,
    body: Mapping[str, Any],
    kwargs: Mapping[str, Any],
) -> ChatResult:
    """One non-streamed attempt; the result `ChatAnthropic._agenerate` would return."""
    sent = body_for(model, body, kwargs)
    sent.pop("stream", None)
    try:
        message = await client.post(
            base + "v1/messages", body=sent, cast_to=Message, options={"timeout": kwargs.get("timeout")}
        )
    except anthropic.APIError as error:
        _reraised(error)
        raise
    return model._format_output(message)


async def astream(
    client: anthropic.AsyncAnthropic,
    base: str,
    model: ChatAnthropic,
    body: Mapping[str, Any],
    kwargs: Mapping[str, Any],
) -> AsyncIterator[ChatGenerationChunk]:
    """One streamed attempt; the chunks `ChatAnthropic._astream` would yield."""
    sent = body_for(model, body, kwargs)
    sent["stream"] = True
    # As `ChatAnthropic._astream` decides it: plain text content unless blocks matter.
    coerce_content_to_string = not (
        lc_anthropic._tools_in_params(sent)
        or lc_anthropic._documents_in_params(sent)
        or lc_anthropic._thinking_in_params(sent)
        or lc_anthropic._compact_in_params(sent)
    )
    try:
        stream = await client.post(
            base + "v1/messages",
            body=sent,
            cast_to=Message,
            stream=True,
            stream_cls=AsyncStream[RawMessageStreamEvent],
            options={"timeout": kwargs.get("timeout")},
        )
        try:
            block_start_event = None
            async for event in stream:
                message, block_start_event = model._make_message_chunk_from_anthropic_event(
                    event,
                    stream_usage=model.stream_usage,
                    coerce_content_to_string=coerce_content_to_string,
                    block_start_event=block_start_event,
                )
                if message is not None:
                    yield ChatGenerationChunk(message=message)
        finally:
            await stream.close()
    except anthropic.APIError as error:
        _reraised(error)
        raise
