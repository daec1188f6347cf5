"""LangChain's standard unit tests for chat models, run against `HybridChatModel`."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from app.ai.providers.base import Member
from app.ai.providers.hybrid import HybridChatModel
from app.ai.providers.registry import get_adapter
from app.core.config import load_settings

_SETTINGS = load_settings(
    OPENAI_API_KEY="sk-standard-tests",
    ANTHROPIC_API_KEY="sk-ant-standard-tests",
    _env_file=None,
)


def _members() -> list[Member]:
    return [
        Member(name, get_adapter(name).build(_SETTINGS), get_adapter(name))
        for name in ("openai", "anthropic")
    ]


class TestHybridChatModelStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[HybridChatModel]:
        return HybridChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"members": _members()}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True
