"""No API key (provider keys or client keys) appears in anything the service emits.

The failure scenarios are driven with KNOWN keys: provider 401s and other errors from
the emulators (plain and streamed), invalid configuration, unknown and under-scoped
client keys. Everything emitted is then scanned: every log line at DEBUG (formatted
as the service formats them, extras included), response bodies and headers, the
/metrics text, /api/v1/ai/status, /health, and reprs of settings, key rows and errors.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.ai.providers.errors import HybridProviderError
from app.ai.providers.factory import get_llm_provider
from app.core.config import ConfigError, Settings, load_settings
from app.core.logging import JsonFormatter
from app.db import session_scope
from app.security import create_api_key, list_api_keys
from emulators import Fault, RunningEmulator

OPENAI_KEY = "sk-proj-KNOWNSECRET-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-KNOWNSECRET-anthropic-0123456789abcdef"
COMPATIBLE_KEY = "gsk_KNOWNSECRET-compatible-0123456789"
PRESENTED_BOGUS_KEY = "tdm_KNOWNSECRET-bogus-client-key-0123456789"
BODY = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture()
def emitted() -> Iterator[io.StringIO]:
    """Every log record of the process at DEBUG, formatted as the service formats them."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield sink
    root.removeHandler(handler)
    root.setLevel(previous)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def test_no_key_leaks_through_failures_logs_bodies_metrics_or_reprs(
    secured_settings: Callable[..., Settings],
    db_url: str,
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    emitted: io.StringIO,
) -> None:
    settings = secured_settings(
        OPENAI_API_KEY=OPENAI_KEY, ANTHROPIC_API_KEY=ANTHROPIC_KEY, LOG_LEVEL="DEBUG",
        AI_RATE_LIMIT_PER_MINUTE=0,
    )
    with session_scope(db_url) as session:
        admin = create_api_key(session, "ops", "admin")
        user = create_api_key(session, "client", "user")
        rows = list_api_keys(session)
    secrets = [OPENAI_KEY, ANTHROPIC_KEY, COMPATIBLE_KEY, PRESENTED_BOGUS_KEY, admin.key, user.key,
               rows[0].key_hash]
    from app.main import create_app

    app: FastAPI = create_app(settings)
    seen: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        user_auth = {"Authorization": f"Bearer {user.key}"}
        admin_auth = {"X-API-Key": admin.key}
        # Provider trouble: bad keys (401) on both, then 500s, 429s and a broken stream.
        for fault in (Fault(status=401, error_type="authentication_error"), Fault(status=500),
                      Fault(status=429, retry_after=1)):
            openai_emulator.faults.push(fault)
            anthropic_emulator.faults.push(fault)
            response = client.post("/api/v1/ai/complete", json=BODY, headers=user_auth)
            assert response.status_code == 503, response.text
            seen += [response.text, str(response.headers)]
        openai_emulator.faults.push(Fault(stream_error_after=2))
        anthropic_emulator.faults.push(Fault(status=401, error_type="authentication_error"))
        streamed = client.post("/api/v1/ai/complete", headers=user_auth,
                               json={"messages": [{"role": "user", "content": "tokens=6"}], "stream": True})
        seen.append(streamed.text)
        # Client keys: unknown, under-scoped, and the admin views.
        for headers, path in (({"Authorization": f"Bearer {PRESENTED_BOGUS_KEY}"}, "/api/v1/jobs"),
                              ({"X-API-Key": PRESENTED_BOGUS_KEY}, "/metrics"),
                              (user_auth, "/api/v1/ai/status"), (user_auth, "/metrics")):
            response = client.get(path, headers=headers)
            assert response.status_code in {401, 403}
            seen += [response.text, str(response.headers)]
        for path in ("/metrics", "/api/v1/ai/status", "/health", "/openapi.json"):
            response = client.get(path, headers=admin_auth)
            assert response.status_code == 200, path
            seen.append(response.text)
    # Errors raised to library callers, and reprs of everything holding a key.
    openai_emulator.faults.push(Fault(status=401, error_type="authentication_error"))
    anthropic_emulator.faults.push(Fault(status=401, error_type="authentication_error"))
    with pytest.raises(HybridProviderError) as failure:
        get_llm_provider(settings=settings).invoke("hello")
    seen += [str(failure.value), repr(failure.value), repr(failure.value.__cause__)]
    seen += [repr(settings), str(settings), settings.model_dump_json(), repr(admin), repr(rows)]
    for bad in ({"AI_PROVIDER": "nope"}, {"AI_OPENAI_COMPATIBLE": f'[{{"name": "Bad Name!", '
                                          f'"base_url": "x", "model": "m", "api_key": "{COMPATIBLE_KEY}"}}]'},
                {"AI_REQUEST_TIMEOUT": -1}, {"OPENAI_API_KEY": ["not", "a", "string", OPENAI_KEY]}):
        with pytest.raises(ConfigError) as invalid:
            load_settings(_env_file=None, **{"OPENAI_API_KEY": OPENAI_KEY, **bad})
        seen.append(str(invalid.value))
    # The keys really were in play: the providers received them.
    assert any(OPENAI_KEY in str(r.headers) for r in openai_emulator.requests)
    assert any(ANTHROPIC_KEY in str(r.headers) for r in anthropic_emulator.requests)
    logs = emitted.getvalue()
    assert '"level": "DEBUG"' in logs  # SDK and HTTP client debug lines were scanned too
    assert "ai call failed" in logs or "ai_call" in logs  # the scan saw the failures' log lines
    assert "invalid_api_key" in " ".join(seen)
    assert _leaks(logs, secrets) == []
    assert _leaks("\n".join(seen), secrets) == []
