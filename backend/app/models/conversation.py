"""Assistant conversations and their messages (written by the AI chain layer)."""


import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Column, Relationship, SQLModel
from sqlmodel import Field as SQLField

from app.models.common import JSONType, UTCDateTime, utcnow


class MessageRole(StrEnum):
    """Who wrote a message."""

    user = "user"
    assistant = "assistant"
    tool = "tool"


def new_conversation_id() -> str:
    """Random UUID4 as text: portable across backends and safe to expose in URLs."""
    return str(uuid.uuid4())


class Conversation(SQLModel, table=True):
    """A chat with the assistant."""

    __tablename__ = "conversations"

    id: str = SQLField(
        default_factory=new_conversation_id,
        sa_column=Column(sa.String(36), primary_key=True),
    )
    title: str = SQLField(default="", sa_column=Column(sa.String(300), nullable=False))
    #: Client id (`key-<id>`, or `local-dev`) of the key that created it: only that key
    #: sees it. NULL for conversations created before ownership existed (admins only).
    owner: str | None = SQLField(
        default=None, sa_column=Column(sa.String(64), nullable=True, index=True)
    )
    created_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )

    messages: list["Message"] = Relationship(
        back_populates="conversation",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "Message.id",
            "passive_deletes": True,
        },
    )


class Message(SQLModel, table=True):
    """One turn: a user question, an assistant answer (maybe with tool calls) or a tool result."""

    __tablename__ = "messages"
    # Ids are never reused after a delete (SQLite; PostgreSQL sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = SQLField(default=None, primary_key=True)
    conversation_id: str = SQLField(
        sa_column=Column(
            sa.String(36),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    role: MessageRole = SQLField(
        sa_column=Column(
            sa.Enum(
                MessageRole,
                native_enum=False,
                create_constraint=False,
                length=16,
                values_callable=lambda enum: [member.value for member in enum],
            ),
            nullable=False,
        )
    )
    content: str = SQLField(default="", sa_column=Column(sa.Text, nullable=False))
    tool_calls: list[dict[str, Any]] | None = SQLField(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    tool_call_id: str | None = SQLField(
        default=None,
        sa_column=Column(sa.String(200), nullable=True),
        description="For role=tool: the id of the assistant tool call this result answers.",
    )
    provider: str | None = SQLField(default=None, sa_column=Column(sa.String(50), nullable=True))
    created_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    conversation: Optional["Conversation"] = Relationship(back_populates="messages")
