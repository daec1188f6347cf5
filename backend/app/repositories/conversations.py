"""Assistant conversations and their messages, for the AI chain layer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models import Conversation, Message, MessageRole
from app.repositories.base import Repository


class ConversationRepository(Repository[Conversation]):
    """Create conversations, append messages, read history back in order."""

    model = Conversation
    entity = "Conversation"

    def create(self, title: str = "", owner: str | None = None) -> Conversation:
        """A new, empty conversation with a fresh UUID id, owned by client `owner`."""
        conversation = Conversation(title=title[:300], owner=owner)
        self.session.add(conversation)
        self.session.commit()
        return conversation

    def rename(self, conversation_id: str, title: str) -> Conversation:
        """Set the title (e.g. once the first answer suggests one)."""
        return self._apply(self.require(conversation_id), {"title": title[:300]})

    def page(self, limit: int = 20, offset: int = 0) -> tuple[list[Conversation], int]:
        """Newest-first page of conversations and their total count."""
        total = self.count()
        query = (
            sa.select(Conversation)
            .order_by(Conversation.created_at.desc(), Conversation.id)  # type: ignore[attr-defined]
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.execute(query).scalars()), total

    def add_message(
        self,
        conversation_id: str,
        role: MessageRole | str,
        content: str,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        tool_call_id: str | None = None,
        provider: str | None = None,
    ) -> Message:
        """Append a message; NotFoundError when the conversation does not exist."""
        self.require(conversation_id)
        message = Message(
            conversation_id=conversation_id,
            role=MessageRole(role),
            content=content,
            tool_calls=tool_calls,
            tool_call_id=tool_call_id,
            provider=provider,
        )
        self.session.add(message)
        self.session.commit()
        return message

    def messages(self, conversation_id: str, last: int | None = None) -> list[Message]:
        """The conversation's messages oldest first; only the `last` N when given."""
        query = sa.select(Message).where(Message.conversation_id == conversation_id)  # type: ignore[arg-type]
        if last is not None:
            query = query.order_by(Message.id.desc()).limit(max(last, 0))  # type: ignore[union-attr]
            return list(reversed(self.session.execute(query).scalars().all()))
        return list(self.session.execute(query.order_by(Message.id)).scalars())  # type: ignore[arg-type]
