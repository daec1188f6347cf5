"""`HybridChatModel` at the brief's import path (it lives in `engine/chat_model.py`)."""

from app.ai.providers.engine.chat_model import HybridChatModel

__all__ = ["HybridChatModel"]
