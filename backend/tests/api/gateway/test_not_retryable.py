"""A gateway answer that retrying cannot change tells the official SDKs not to retry.

With no provider configured, the OpenAI and Anthropic SDKs would otherwise retry the
503 twice (their default) before giving up: a misconfigured gateway made every client
call wait for nothing. `x-should-retry: false` is the header both SDKs read first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from app.core.config import load_settings
from app.main import create_app

HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture
def keyless(clean_env: None, tmp_path: object) -> Iterator[tuple[TestClient, list[httpx.Request]]]:
    """The app with no provider key, and the list of requests its clients send."""
    settings = load_settings(_env_file=None, AUTH_MODE="local-dev", DATABASE_URL=f"sqlite:///{tmp_path}/t.db")
    sent: list[httpx.Request] = []
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.event_hooks["request"] = [sent.append]
        yield client, sent


def _ask_openai(client: TestClient) -> None:
    sdk = openai.OpenAI(api_key="unused", base_url="http://testserver/v1", http_client=client)
    sdk.chat.completions.create(model="default", messages=HELLO)  # type: ignore[arg-type]


def _ask_anthropic(client: TestClient) -> None:
    sdk = anthropic.Anthropic(api_key="unused", base_url="http://testserver", http_client=client)
    sdk.messages.create(model="default", max_tokens=20, messages=HELLO)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ask", "error"),
    [(_ask_openai, openai.InternalServerError), (_ask_anthropic, anthropic.APIStatusError)],
    ids=["openai", "anthropic"],
)
def test_the_official_sdks_fail_at_once_when_nothing_is_configured(
    keyless: tuple[TestClient, list[httpx.Request]],
    ask: Callable[[TestClient], None],
    error: type[openai.APIStatusError] | type[anthropic.APIStatusError],
) -> None:
    client, sent = keyless
    with pytest.raises(error) as raised:
        ask(client)
    assert len(sent) == 1  # no retry
    assert raised.value.status_code == 503
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert "retry-after" not in raised.value.response.headers
    assert "OPENAI_API_KEY" in raised.value.message
