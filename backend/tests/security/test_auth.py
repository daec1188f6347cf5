"""Authentication and scopes: every /api/v1 route needs a key, operations routes need admin."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import ConfigError, Settings, load_settings
from app.db import session_scope
from app.main import create_app
from app.security import revoke_api_key
from app.security.mode import LOCAL_DEV_BANNER


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_default_settings_require_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_MODE", raising=False)
    assert load_settings(_env_file=None).AUTH_MODE == "api-keys"


def test_invalid_auth_mode_names_the_setting_and_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"AUTH_MODE='off': allowed values: api-keys \| local-dev"):
        load_settings(_env_file=None, AUTH_MODE="off")


def test_every_api_route_refuses_calls_without_a_key(secured_app: Callable[..., FastAPI]) -> None:
    app = secured_app()
    operations = [(method.upper(), path) for path, item in app.openapi()["paths"].items()
                  if path.startswith("/api/v1") for method in item]
    assert len(operations) >= 10
    with TestClient(app) as client:
        for method, path in operations:
            response = client.request(method, _concrete(path), json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["detail"]["error"] == "missing_api_key"
            assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["bearer", "x-api-key", "basic"])
def test_a_user_key_is_accepted_in_every_supported_header(
    client: TestClient, user_key: str, header: str
) -> None:
    headers = {
        "bearer": _bearer(user_key),
        "x-api-key": {"X-API-Key": user_key},
        "basic": {"Authorization": "Basic " + base64.b64encode(f"any:{user_key}".encode()).decode()},
    }[header]
    response = client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer tdm_not-a-real-key"},
        {"X-API-Key": "x" * 5000},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Token something"},
    ],
)
def test_unknown_or_malformed_credentials_get_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]["error"] in {"invalid_api_key", "missing_api_key"}


def test_a_revoked_key_stops_working_at_once(client: TestClient, db_url: str, user_key: str) -> None:
    assert client.get("/api/v1/jobs", headers=_bearer(user_key)).status_code == 200
    with session_scope(db_url) as session:
        revoke_api_key(session, 1)
    response = client.get("/api/v1/jobs", headers=_bearer(user_key))
    assert response.status_code == 401
    assert response.json()["detail"] == {"error": "invalid_api_key",
                                         "message": "The API key is unknown or revoked."}


@pytest.mark.parametrize("path", ["/api/v1/ai/status", "/metrics"])
def test_operations_routes_are_admin_only(
    client: TestClient, user_key: str, admin_key: str, path: str
) -> None:
    forbidden = client.get(path, headers=_bearer(user_key))
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"]["required_scope"] == "admin"
    assert client.get(path, headers=_bearer(admin_key)).status_code == 200


def test_status_page_is_static_and_its_data_needs_an_admin_key(client: TestClient, admin_key: str) -> None:
    page = client.get("/status")  # public: no data in it; it signs in to the API itself
    assert page.status_code == 200 and 'id="sign-in"' in page.text
    assert client.get("/status/status.js").status_code == 200
    assert client.get("/api/v1/ai/status").status_code == 401
    assert client.get("/api/v1/ai/status", auth=("admin", admin_key)).status_code == 200
    challenge = client.get("/metrics")
    assert challenge.status_code == 401 and challenge.headers["WWW-Authenticate"].startswith("Basic ")


def test_health_stays_public(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_key_store_down_is_a_503_not_a_500(
    secured_settings: Callable[..., Settings], tmp_path: Path, user_key: str
) -> None:
    never_migrated = f"sqlite:///{tmp_path / 'empty.db'}"
    with TestClient(create_app(secured_settings(DATABASE_URL=never_migrated))) as client:
        response = client.get("/api/v1/jobs", headers=_bearer(user_key))
    assert response.status_code == 503
    assert response.json()["detail"]["error"] == "auth_unavailable"
    assert user_key not in response.text


def test_local_dev_mode_is_announced_loudly_and_lets_calls_in(
    secured_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.security"):
        app = create_app(secured_settings(AUTH_MODE="local-dev"))
    assert any("AUTH_MODE=local-dev" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    assert LOCAL_DEV_BANNER in capsys.readouterr().err
    with TestClient(app) as client:
        assert client.get("/api/v1/jobs").status_code == 200
        assert client.get("/api/v1/ai/status").status_code == 200


def test_keys_mode_prints_no_banner(
    secured_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    create_app(secured_settings())
    assert "AUTHENTICATION IS OFF" not in capsys.readouterr().err


def test_openapi_declares_the_security_schemes(client: TestClient, admin_key: str) -> None:
    schema = client.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])
    jobs = schema["paths"]["/api/v1/jobs"]["get"]
    assert {"401", "403"} <= set(jobs["responses"])
