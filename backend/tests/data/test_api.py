"""The /api/v1 data endpoints through FastAPI's TestClient, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

JOB = {
    "title": "Senior Python Engineer",
    "company": "Acme",
    "location": "Berlin",
    "remote": True,
    "salary_min": 70000,
    "salary_max": 90000,
    "currency": "eur",
    "description": "APIs and data pipelines.",
    "required_skills": [" Python", "SQL", "python", "Docker "],
    "seniority": "senior",
}
CANDIDATE = {
    "name": "Ada",
    "headline": "Backend engineer",
    "skills": ["Python", "Kafka"],
    "years_experience": 7,
    "resume_text": "Built payment systems.",
    "desired_locations": ["Berlin", " berlin ", "Lisbon"],
    "remote_only": False,
    "min_salary": 80000,
    "currency": "EUR",
    "desired_seniority": "senior",
}


def _errors(response: Any) -> dict[tuple[Any, ...], str]:
    return {tuple(error["loc"]): error["type"] for error in response.json()["detail"]}


def test_job_crud(client: TestClient) -> None:
    created = client.post("/api/v1/jobs", json=JOB)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["required_skills"] == ["python", "sql", "docker"]
    assert job["currency"] == "EUR"
    assert client.get(f"/api/v1/jobs/{job['id']}").json() == job
    patched = client.patch(f"/api/v1/jobs/{job['id']}", json={"title": "Staff Engineer"})
    assert patched.status_code == 200 and patched.json()["title"] == "Staff Engineer"
    assert patched.json()["salary_max"] == 90000
    assert client.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    missing = client.get(f"/api/v1/jobs/{job['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"Job {job['id']} not found",
                              "request_id": missing.headers["x-request-id"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/jobs/999"),
        ("patch", "/api/v1/jobs/999"),
        ("delete", "/api/v1/jobs/999"),
        ("get", "/api/v1/candidates/999"),
        ("patch", "/api/v1/candidates/999"),
        ("delete", "/api/v1/candidates/999"),
        ("get", "/api/v1/documents/999"),
        ("patch", "/api/v1/documents/999"),
        ("delete", "/api/v1/documents/999"),
    ],
)
def test_unknown_ids_are_404(client: TestClient, method: str, path: str) -> None:
    kwargs: dict[str, Any] = {"json": {}} if method == "patch" else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


def test_job_validation_errors_are_precise(client: TestClient) -> None:
    response = client.post(
        "/api/v1/jobs",
        json={**JOB, "title": "   ", "salary_min": 100, "salary_max": 50, "extra": 1,
              "seniority": "wizard", "required_skills": [f"s{i}" for i in range(51)]},
    )
    assert response.status_code == 422
    assert _errors(response) == {
        ("body", "title"): "string_too_short",
        ("body", "salary_max"): "value_error",
        ("body", "extra"): "extra_forbidden",
        ("body", "seniority"): "enum",
        ("body", "required_skills"): "value_error",
    }


def test_patch_checks_merged_salary_and_nulls(client: TestClient) -> None:
    job = client.post("/api/v1/jobs", json=JOB).json()
    response = client.patch(f"/api/v1/jobs/{job['id']}", json={"salary_min": 95000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "salary_max"]
    response = client.patch(f"/api/v1/jobs/{job['id']}", json={"title": None})
    assert response.status_code == 422 and _errors(response) == {("body", "title"): "value_error"}
    cleared = client.patch(f"/api/v1/jobs/{job['id']}", json={"salary_max": None})
    assert cleared.status_code == 200 and cleared.json()["salary_max"] is None


def test_candidate_crud_and_validation(client: TestClient) -> None:
    created = client.post("/api/v1/candidates", json=CANDIDATE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["skills"] == ["python", "kafka"]
    assert body["desired_locations"] == ["Berlin", "Lisbon"]
    bad = client.post("/api/v1/candidates", json={**CANDIDATE, "years_experience": 61, "name": ""})
    assert _errors(bad) == {
        ("body", "years_experience"): "less_than_equal",
        ("body", "name"): "string_too_short",
    }
    patched = client.patch(f"/api/v1/candidates/{body['id']}", json={"remote_only": True})
    assert patched.json()["remote_only"] is True
    assert client.delete(f"/api/v1/candidates/{body['id']}").status_code == 204


def test_pagination_and_filters(client: TestClient) -> None:
    for i in range(5):
        client.post("/api/v1/jobs", json={**JOB, "title": f"Job {i}", "remote": i % 2 == 0,
                                          "required_skills": ["go"] if i == 4 else ["python"]})
    page = client.get("/api/v1/jobs", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [item["title"] for item in page["items"]] == ["Job 3", "Job 2"]
    assert client.get("/api/v1/jobs", params={"remote": "true"}).json()["total"] == 3
    assert client.get("/api/v1/jobs", params={"skill": "GO"}).json()["total"] == 1
    assert client.get("/api/v1/jobs", params={"q": "job 1"}).json()["total"] == 1
    assert client.get("/api/v1/jobs", params={"seniority": "junior"}).json()["total"] == 0
    default = client.get("/api/v1/jobs").json()
    assert default["limit"] == 20 and default["offset"] == 0
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"seniority": "x"}):
        assert client.get("/api/v1/jobs", params=params).status_code == 422
    client.post("/api/v1/candidates", json=CANDIDATE)
    assert client.get("/api/v1/candidates", params={"skill": "kafka"}).json()["total"] == 1
    assert client.get("/api/v1/candidates", params={"q": "payment"}).json()["total"] == 1
    assert client.get("/api/v1/candidates", params={"skill": "rust"}).json()["total"] == 0


def test_bulk_import(client: TestClient) -> None:
    response = client.post("/api/v1/jobs/import", json=[JOB, {**JOB, "title": "Second"}])
    assert response.status_code == 201
    assert response.json()["created"] == 2 and len(response.json()["ids"]) == 2
    bad = client.post("/api/v1/jobs/import", json=[JOB, {**JOB, "title": ""}])
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", 1, "title"]
    assert client.get("/api/v1/jobs").json()["total"] == 2  # nothing of the bad batch
    people = client.post("/api/v1/candidates/import", json=[CANDIDATE] * 3)
    assert people.json()["created"] == 3
    docs = client.post("/api/v1/documents/import", json=[{"title": "A", "body": "alpha text"}])
    assert docs.json()["created"] == 1


def test_limits_answer_413_naming_the_setting(make_client: Callable[..., TestClient]) -> None:
    client = make_client(MAX_DOCUMENT_CHARS=50, MAX_RESUME_CHARS=20, MAX_IMPORT_ITEMS=2,
                         MAX_REQUEST_BYTES=5000)
    cases = [
        ("post", "/api/v1/documents", {"title": "T", "body": "x" * 51}, "MAX_DOCUMENT_CHARS"),
        ("post", "/api/v1/documents/import", [{"title": "T", "body": "x" * 51}],
         "MAX_DOCUMENT_CHARS"),
        ("post", "/api/v1/candidates", {**CANDIDATE, "resume_text": "y" * 21}, "MAX_RESUME_CHARS"),
        ("post", "/api/v1/candidates/import", [{**CANDIDATE, "resume_text": "y" * 21}],
         "MAX_RESUME_CHARS"),
        ("post", "/api/v1/jobs/import", [JOB] * 3, "MAX_IMPORT_ITEMS"),
        ("post", "/api/v1/jobs", {**JOB, "description": "z" * 6000}, "MAX_REQUEST_BYTES"),
    ]
    for method, path, payload, limit_name in cases:
        response = getattr(client, method)(path, json=payload)
        assert response.status_code == 413, (path, response.text)
        detail = response.json()["detail"]
        assert detail["limit_name"] == limit_name and limit_name in detail["message"]
        assert detail["actual"] > detail["limit"]
    document = client.post("/api/v1/documents", json={"title": "T", "body": "ok"}).json()
    response = client.patch(f"/api/v1/documents/{document['id']}", json={"body": "x" * 51})
    assert response.status_code == 413
    assert client.post("/api/v1/documents", json={"title": "T", "body": "x" * 50}).status_code == 201


def test_documents_and_search(client: TestClient) -> None:
    created = client.post("/api/v1/documents", json={
        "title": "Leave", "body": "Parental leave is twenty weeks.", "source": "handbook"})
    assert created.status_code == 201 and created.json()["chunk_count"] == 1
    document_id = created.json()["id"]
    hits = client.get("/api/v1/documents/search", params={"q": "parental leave", "k": 3}).json()
    assert hits[0]["document_id"] == document_id and hits[0]["document_title"] == "Leave"
    assert client.get("/api/v1/documents/search", params={"q": "the of"}).json() == []
    assert client.get("/api/v1/documents/search", params={"q": 'NEAR("'}).status_code == 200
    client.patch(f"/api/v1/documents/{document_id}", json={"body": "Sabbaticals after 5 years."})
    assert client.get("/api/v1/documents/search", params={"q": "parental"}).json() == []
    listed = client.get("/api/v1/documents").json()
    assert listed["total"] == 1 and listed["items"][0]["source"] == "handbook"


def test_openapi_documents_routes_and_errors(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for resource in ("jobs", "candidates", "documents"):
        collection, item = paths[f"/api/v1/{resource}"], paths[f"/api/v1/{resource}/{{{resource[:-1]}_id}}"]
        for operation in (*collection.values(), *item.values(),
                          *paths[f"/api/v1/{resource}/import"].values()):
            assert operation["summary"]
            assert "422" in operation["responses"]
        for method in ("get", "patch", "delete"):
            assert "404" in item[method]["responses"]
        assert "413" in collection["post"]["responses"]
        assert "413" in paths[f"/api/v1/{resource}/import"]["post"]["responses"]
        assert "201" in collection["post"]["responses"]
