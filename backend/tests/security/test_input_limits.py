"""Input limits: oversized bodies get a 413 naming the setting (declared or chunked),
oversized fields a 413/422, and unknown fields are refused where the schema is strict."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

LIMIT = 4_000


@pytest.fixture()
def small_client(secured_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(secured_app(MAX_REQUEST_BYTES=LIMIT, MAX_RESUME_CHARS=100)) as client:
        yield client


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def _assert_body_limit(response_json: dict[str, object], actual_at_least: int) -> None:
    detail = response_json["detail"]
    assert isinstance(detail, dict)
    assert detail["limit_name"] == "MAX_REQUEST_BYTES" and detail["limit"] == LIMIT
    assert isinstance(detail["actual"], int) and detail["actual"] >= actual_at_least


@pytest.mark.parametrize("path", ["/api/v1/ai/complete", "/api/v1/jobs", "/api/v1/qa"])
def test_a_declared_oversized_body_is_refused_before_parsing(
    small_client: TestClient, editor_key: str, path: str
) -> None:
    body = b'{"x": "' + b"a" * (LIMIT * 2) + b'"}'
    response = small_client.post(path, content=body, headers=_auth(editor_key))
    assert response.status_code == 413
    _assert_body_limit(response.json(), LIMIT * 2)


@pytest.mark.parametrize("path", ["/api/v1/ai/complete", "/api/v1/jobs", "/api/v1/jobs/import"])
def test_without_a_key_any_body_gets_401_before_it_is_read_or_sized(
    small_client: TestClient, path: str
) -> None:
    body = b'{"x": "' + b"a" * (LIMIT * 2) + b'"}'
    response = small_client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json()["detail"]["error"] == "missing_api_key"
    assert response.headers["connection"] == "close"


def test_bulk_imports_have_their_own_body_cap(
    secured_app: Callable[..., FastAPI], editor_key: str
) -> None:
    job = {"title": "Engineer", "company": "Acme", "description": "d" * 900}
    with TestClient(secured_app(MAX_REQUEST_BYTES=LIMIT, MAX_IMPORT_REQUEST_BYTES=LIMIT * 5)) as client:
        imported = client.post("/api/v1/jobs/import", json=[job] * 10, headers=_auth(editor_key))
        assert imported.status_code == 201, imported.text
        single = client.post("/api/v1/jobs", json={**job, "description": "d" * (LIMIT + 1)},
                             headers=_auth(editor_key))
        assert single.status_code == 413
        too_many = client.post("/api/v1/jobs/import", json=[job] * 30, headers=_auth(editor_key))
        assert too_many.status_code == 413
        assert too_many.json()["detail"]["limit_name"] == "MAX_IMPORT_REQUEST_BYTES"


def test_a_chunked_oversized_body_is_refused_too(small_client: TestClient, user_key: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"a" * 1_000
        yield b'"}]}'

    response = small_client.post("/api/v1/ai/complete", content=chunks(), headers=_auth(user_key))
    assert response.status_code == 413
    _assert_body_limit(response.json(), LIMIT + 1)


def test_a_chunked_body_under_the_limit_is_served(
    small_client: TestClient, user_key: str
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"messages": [{"role": "user", '
        yield b'"content": "hello"}]}'

    response = small_client.post("/api/v1/ai/complete", content=chunks(), headers=_auth(user_key))
    assert response.status_code == 200, response.text


def test_unknown_fields_are_refused_on_the_completion_endpoint(client: TestClient, user_key: str) -> None:
    for body in ({"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4-32k"},
                 {"messages": [{"role": "user", "content": "hi", "name": "system"}]}):
        response = client.post("/api/v1/ai/complete", json=body, headers=_auth(user_key))
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["type"] == "extra_forbidden"


def test_prompt_and_resume_length_limits(
    small_client: TestClient, client: TestClient, user_key: str, editor_key: str
) -> None:
    too_long = client.post("/api/v1/ai/complete", headers=_auth(user_key),
                           json={"messages": [{"role": "user", "content": "a" * 32_001}]})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["type"] == "string_too_long"
    resume = small_client.post("/api/v1/candidates", headers=_auth(editor_key),
                               json={"name": "Ada", "resume_text": "r" * 101})
    assert resume.status_code == 413
    assert resume.json()["detail"]["limit_name"] == "MAX_RESUME_CHARS"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/v1/candidates", {"params": {"skill": "x" * 60}}),
        ("GET", "/api/v1/jobs", {"params": [("skill", f"s{i}") for i in range(51)]}),
        ("GET", "/api/v1/jobs", {"params": {"offset": 10**12}}),
        ("POST", "/api/v1/qa", {"json": {"question": "hi", "document_ids": [2**70]}}),
    ],
)
def test_query_and_id_fields_found_by_fuzzing_are_bounded(
    client: TestClient, user_key: str, method: str, path: str, kwargs: dict[str, object]
) -> None:
    response = client.request(method, path, headers=_auth(user_key), **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text


def test_ids_past_sql_bigint_are_not_found(client: TestClient, user_key: str) -> None:
    response = client.get(f"/api/v1/documents/{2**70}", headers=_auth(user_key))
    assert response.status_code == 404
