"""A gateway answer that retrying cannot change tells the official SDKs not to retry.

With no provider configured, the OpenAI and Anthropic SDKs would otherwise retry the
503 twice (their default) before giving up: a misconfigured gateway made every client
call wait for nothing. `x-should-retry: false` is the header both SDKs read first.
"""

from __future__ import annotations

from collections.abc import Iterator

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


def test_the_openai_sdk_fails_at_once_when_nothing_is_configured(
    keyless: tuple[TestClient, list[httpx.Request]],
) -> None:
    client, sent = keyless
    sdk = openai.OpenAI(api_key="unused", base_url="http://testserver/v1", http_client=client)
    with pytest.raises(openai.InternalServerError) as raised:
        sdk.chat.completions.create(model="default", messages=HELLO)  # type: ignore[arg-type]
    assert len(sent) == 1  # no retry
    assert raised.value.status_code == 503
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert "retry-after" not in raised.value.response.headers
    assert "OPENAI_API_KEY" in raised.value.message


def test_the_anthropic_sdk_fails_at_once_when_nothing_is_configured(
    keyless: tuple[TestClient, list[httpx.Request]],
) -> None:
    client, sent = keyless
    sdk = anthropic.Anthropic(api_key="unused", base_url="http://testserver", http_client=client)
    with pytest.raises(anthropic.APIStatusError) as raised:
        sdk.messages.create(model="default", max_tokens=20, messages=HELLO)  # type: ignore[arg-type]
    assert len(sent) == 1
    assert raised.value.status_code == 503
    assert raised.value.response.headers["x-should-retry"] == "false"
