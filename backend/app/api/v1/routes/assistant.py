"""`/api/v1/assistant/conversations`: multi-turn chat with tools, streamed as SSE (uses AI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from app.ai.chains.assistant import Assistant
from app.ai.chains.served import ServedBy
from app.api.ai_responses import (
    Event,
    ServedFields,
    StreamFlag,
    UserIdHeader,
    ai_headers,
    sse_response,
    wants_stream,
)
from app.api.deps import RuntimeDep, SettingsDep
from app.api.errors import AI_ERROR_RESPONSES
from app.db import SessionDep
from app.models.common import SingleLine, StrictModel
from app.models.conversation import Conversation
from app.models.http import BodyLimitRoute, check_limit, error_responses, not_found
from app.repositories import ConversationRepository, NotFoundError
from app.security.auth import Principal
from app.security.keys import Scope

router = APIRouter(prefix="/assistant/conversations", tags=["ai"], route_class=BodyLimitRoute)


class ConversationCreate(StrictModel):
    title: Annotated[str, SingleLine] = Field(default="", max_length=300)


class MessageOut(StrictModel):
    id: int
    role: str
    content: str
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    provider: str | None
    created_at: datetime


class ConversationOut(StrictModel):
    id: str
    title: str
    created_at: datetime
    messages: list[MessageOut] = Field(default_factory=list)


class UserMessage(StrictModel):
    content: str = Field(min_length=1, description="At most MAX_ASSISTANT_MESSAGE_CHARS (else 413).")
    stream: StreamFlag = None


class AssistantReply(ServedFields):
    conversation_id: str
    message_id: int
    content: str
    tool_calls: list[dict[str, Any]] = Field(description="Tools run this turn: name, args, ok, provider.")
    jobs: list[dict[str, Any]] = Field(description="Degraded mode: jobs found without AI, if any.")


def _caller(request: Request) -> Principal:
    principal: Principal = request.state.principal  # set by `authenticate` (router-level)
    return principal


def _owned(repository: ConversationRepository, conversation_id: str, caller: Principal) -> Conversation:
    """The conversation when `caller`'s key created it; 404 otherwise (existence is not
    disclosed to other keys). Conversations from before ownership: admin keys only."""
    try:
        conversation = repository.require(conversation_id)
    except NotFoundError as error:
        raise not_found(error) from None
    owner = conversation.owner
    if owner != caller.client_id and not (owner is None and caller.scope is Scope.admin):
        raise not_found(NotFoundError("Conversation", conversation_id))
    return conversation


@router.post(
    "", status_code=201, response_model=ConversationOut, summary="Start a conversation",
    responses=error_responses(413),
)
def create_conversation(
    request: Request, session: SessionDep, body: ConversationCreate | None = None
) -> ConversationOut:
    """A new conversation, visible only to the key that created it."""
    title = (body or ConversationCreate()).title
    conversation = ConversationRepository(session).create(title, owner=_caller(request).client_id)
    return ConversationOut(id=conversation.id, title=conversation.title, created_at=conversation.created_at)


@router.get(
    "/{conversation_id}", response_model=ConversationOut, summary="A conversation and its messages",
    responses=error_responses(404),
)
def get_conversation(conversation_id: str, request: Request, session: SessionDep) -> ConversationOut:
    """The conversation and its messages (404 for any key but the one that created it)."""
    repository = ConversationRepository(session)
    conversation = _owned(repository, conversation_id, _caller(request))
    messages = [
        MessageOut(
            id=m.id or 0, role=m.role.value, content=m.content, tool_calls=m.tool_calls,
            tool_call_id=m.tool_call_id, provider=m.provider, created_at=m.created_at,
        )
        for m in repository.messages(conversation_id)
    ]
    return ConversationOut(
        id=conversation.id, title=conversation.title, created_at=conversation.created_at, messages=messages
    )


@router.post(
    "/{conversation_id}/messages",
    response_model=AssistantReply,
    summary="Send a message to the assistant (AI, streamable)",
    description="Uses AI: the hybrid model answers, calling tools (search_jobs, get_candidate, "
    "get_job) as needed. SSE events: `token` {text}, `tool_call` {id, name, args, provider}, "
    "`tool_result` {id, name, ok}, then `done` (this body) or `error` {error: {type, message}}. "
    "A `restart` {reason, provider, shown_chars} event means the answer starts again on another "
    "provider: drop the text shown since the last tool result.",
    responses={**error_responses(404, 413), **AI_ERROR_RESPONSES},
)
async def send_message(
    conversation_id: str,
    body: UserMessage,
    request: Request,
    session: SessionDep,
    settings: SettingsDep, runtime: RuntimeDep,
    user_id: UserIdHeader = None,
) -> Response:
    check_limit(
        "MAX_ASSISTANT_MESSAGE_CHARS",
        settings.MAX_ASSISTANT_MESSAGE_CHARS,
        len(body.content),
        "Message length",
    )
    _owned(ConversationRepository(session), conversation_id, _caller(request))
    events = _events(Assistant(session, settings, runtime), conversation_id, body.content, user_id)
    if wants_stream(request, body.stream):
        return await sse_response(events)
    done: dict[str, Any] = {}
    async for name, data in events:
        if name == "done":
            done = data
    reply = AssistantReply.model_validate(done)
    served = ServedBy(reply.provider, reply.model, reply.failover, reply.degraded)
    return JSONResponse(reply.model_dump(mode="json"), headers=ai_headers(served))


async def _events(
    assistant: Assistant, conversation_id: str, text: str, user_id: str | None
) -> AsyncIterator[Event]:
    async for event in assistant.turn(conversation_id, text, user_id=user_id):
        yield event.kind, event.data
