"""One source of truth (issue 13, item 20): the OpenAPI schema states the configured limits,
and docs/API.md lists the error codes each route can really answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

API_DOC = Path(__file__).resolve().parents[3] / "docs" / "API.md"
#: Documented once above the table (every route); the rest are per route.
COMMON = {"401", "403", "408", "500"}
SUCCESS = {"200", "201", "204"}


def _documented_rows() -> list[tuple[str, list[str], set[str]]]:
    rows = []
    for line in API_DOC.read_text().splitlines():
        match = re.match(r"\| `(GET|POST|PATCH|DELETE) ([^`]+)`(.*)\| (yes|no) \|.*\| ([0-9, ]+) \|$", line)
        if not match:
            continue
        method, first, more, _ai, codes = match.groups()
        paths = [first, *re.findall(r"`(/[^`]+)`", more)]
        rows.append((method, paths, {c.strip() for c in codes.split(",")}))
    return rows


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^/api/v1" + re.sub(r"\{[^}]+\}", r"\\{[^}]+\\}", path) + "$")


def test_the_documented_error_codes_are_the_schema_s(secured_app: Callable[..., FastAPI]) -> None:
    schema = secured_app().openapi()
    rows = _documented_rows()
    assert len(rows) >= 14
    for method, paths, codes in rows:
        for path in paths:
            matches = [p for p in schema["paths"] if _template(path).match(p)]
            assert len(matches) == 1, (method, path, matches)
            responses = set(schema["paths"][matches[0]][method.lower()]["responses"])
            assert responses - SUCCESS - COMMON == codes, (method, path, sorted(responses))


def test_the_schema_states_the_configured_result_limit(
    secured_app: Callable[..., FastAPI], make_key: Callable[..., str]
) -> None:
    app = secured_app(AI_MAX_RESULTS=7, MAX_QUESTION_CHARS=300, MAX_IMPORT_ITEMS=3)
    schema = app.openapi()
    components = schema["components"]["schemas"]
    assert components["RankingOptions"]["properties"]["limit"]["maximum"] == 7
    assert components["QuestionRequest"]["properties"]["question"]["maxLength"] == 300
    import_body = schema["paths"]["/api/v1/jobs/import"]["post"]["requestBody"]["content"]
    assert import_body["application/json"]["schema"]["maxItems"] == 3
    editor = {"Authorization": f"Bearer {make_key('editor')}"}
    with TestClient(app) as client:
        served = client.get("/openapi.json").json()
        assert served["components"]["schemas"]["RankingOptions"]["properties"]["limit"]["maximum"] == 7
        job = client.post("/api/v1/jobs", json={"title": "Engineer", "company": "Acme"}, headers=editor)
        client.post("/api/v1/candidates", json={"name": "Ada"}, headers=editor)
        path = f"/api/v1/jobs/{job.json()['id']}/matches"
        assert client.post(path, json={"limit": 7}, headers=editor).status_code == 200
        over = client.post(path, json={"limit": 8}, headers=editor)
        assert over.status_code == 422 and "AI_MAX_RESULTS" in over.text
