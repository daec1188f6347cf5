"""Control characters (issue 13, item 14): refused in one-line fields, NUL refused everywhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

NUL, ESC, RLO = "\x00", "\x1b", "\u202e"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/jobs", {"title": f"Engineer{NUL}", "company": "Acme"}, "title"),
        ("/api/v1/jobs", {"title": f"{ESC}[31mEngineer{ESC}[0m", "company": "Acme"}, "title"),
        ("/api/v1/jobs", {"title": "Engineer", "company": f"Acme{RLO}exe.txt"}, "company"),
        ("/api/v1/jobs", {"title": "Engineer\r\nX-Injected: 1", "company": "Acme"}, "title"),
        ("/api/v1/jobs", {"title": "Engineer", "company": "Acme", "location": "Paris\nLyon"}, "location"),
        ("/api/v1/jobs", {"title": "E", "company": "A", "required_skills": [f"py{ESC}thon"]}, "required_skills"),
        ("/api/v1/candidates", {"name": f"Ada{RLO}", "skills": []}, "name"),
        ("/api/v1/candidates", {"name": "Ada", "headline": f"Eng{ESC}[2J"}, "headline"),
        ("/api/v1/documents", {"title": "Policy\tv2", "body": "text"}, "title"),
    ],
)
def test_control_characters_in_one_line_fields_are_a_422(
    client: TestClient, editor_key: str, path: str, body: dict[str, object], field: str
) -> None:
    response = client.post(path, json=body, headers=_auth(editor_key))
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", field]
    assert "U+" in error["msg"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/jobs", {"title": "E", "company": "A", "description": f"multi\nline {NUL} text"}, "description"),
        ("/api/v1/candidates", {"name": "Ada", "resume_text": f"CV{NUL}"}, "resume_text"),
        ("/api/v1/documents", {"title": "Policy", "body": f"Body{NUL}"}, "body"),
        ("/api/v1/qa", {"question": f"What{NUL}?"}, "question"),
        ("/api/v1/ai/complete", {"messages": [{"role": "user", "content": f"hi{NUL}"}]}, "messages"),
    ],
)
def test_nul_is_refused_in_every_field(
    client: TestClient, editor_key: str, path: str, body: dict[str, object], field: str
) -> None:
    response = client.post(path, json=body, headers=_auth(editor_key))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]
    assert "NUL" in response.text


def test_nul_in_a_query_parameter_is_a_422(client: TestClient, user_key: str) -> None:
    response = client.get("/api/v1/jobs", params={"q": f"python{NUL}"}, headers=_auth(user_key))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_multi_line_text_keeps_its_newlines_and_tabs(client: TestClient, editor_key: str) -> None:
    body = {"title": "Engineer", "company": "Acme", "description": "Line one.\n\tLine two.\r\nThree."}
    created = client.post("/api/v1/jobs", json=body, headers=_auth(editor_key))
    assert created.status_code == 201, created.text
    assert created.json()["description"] == body["description"]
