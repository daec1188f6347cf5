"""LangChain's standard unit tests for chat models, run against `HybridChatModel`."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from app.ai.providers.adapters.base import Member
from app.ai.providers.assembly import build_member
from app.ai.providers.engine.chat_model import HybridChatModel
from app.core.config import load_settings

_SETTINGS = load_settings(
    OPENAI_API_KEY="sk-standard-tests",
    ANTHROPIC_API_KEY="sk-ant-standard-tests",
    _env_file=None,
)


def _members() -> list[Member]:
    return [
        build_member(name, _SETTINGS) for name in ("openai", "anthropic")
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
