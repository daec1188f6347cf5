"""The Gemini emulator speaks Google's REST format: the `google-genai` SDK parses it."""

from __future__ import annotations

import httpx
import pytest
from google import genai
from google.genai import errors, types

from emulators import Fault, RunningEmulator

MODEL = "gemini-2.5-flash"


def _client(emulator: RunningEmulator, key: str = "AIza-test") -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=emulator.base_url))


def test_generate_count_and_list_models(gemini_emulator: RunningEmulator) -> None:
    client = _client(gemini_emulator)

    answer = client.models.generate_content(
        model=MODEL,
        contents="hello tokens=4",
        config=types.GenerateContentConfig(system_instruction="be brief", max_output_tokens=3),
    )
    counted = client.models.count_tokens(model=MODEL, contents="one two three")
    names = [m.name for m in client.models.list()]

    assert answer.text and answer.text.startswith("[gemini:gemini-2.5-flash] ")
    assert len(answer.text.split()) == 3  # cut by max_output_tokens
    assert answer.candidates and answer.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert answer.usage_metadata and answer.usage_metadata.prompt_token_count == 4
    assert counted.total_tokens == 3
    assert f"models/{MODEL}" in names


def test_stream_sends_one_event_per_token_and_ends_with_the_finish_reason(
    gemini_emulator: RunningEmulator,
) -> None:
    client = _client(gemini_emulator)  # keep a reference: the SDK closes unreferenced clients
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="x tokens=3"))

    assert len("".join(c.text or "" for c in chunks).split()) == 4
    assert len([c for c in chunks if c.text]) == 4
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata and chunks[-1].usage_metadata.candidates_token_count == 4


def test_function_calls_and_json_schema_answers(gemini_emulator: RunningEmulator) -> None:
    client = _client(gemini_emulator)
    declaration = types.FunctionDeclaration(
        name="get_job",
        description="Fetch a job",
        parameters=types.Schema(
            type=types.Type.OBJECT,
            properties={"job_id": types.Schema(type=types.Type.STRING)},
            required=["job_id"],
        ),
    )
    called = client.models.generate_content(
        model=MODEL,
        contents="call get_job please",
        config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=[declaration])]),
    )
    structured = client.models.generate_content(
        model=MODEL,
        contents="a person",
        config=types.GenerateContentConfig(
            response_mime_type="application/json",
            response_json_schema={"type": "object", "properties": {"age": {"type": "integer"}}},
        ),
    )

    assert called.function_calls and called.function_calls[0].name == "get_job"
    assert isinstance((called.function_calls[0].args or {})["job_id"], str)
    assert structured.parsed == {"age": 1} or structured.text == '{"age": 1}'


@pytest.mark.parametrize(
    ("key", "code", "status"), [("", 403, "PERMISSION_DENIED"), ("invalid-key", 400, "INVALID_ARGUMENT")]
)
def test_authentication_errors_have_googles_shape(
    gemini_emulator: RunningEmulator, key: str, code: int, status: str
) -> None:
    response = httpx.post(
        f"{gemini_emulator.base_url}/v1beta/models/{MODEL}:generateContent",
        headers={"x-goog-api-key": key},
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    )

    assert response.status_code == code
    assert response.json()["error"]["code"] == code and response.json()["error"]["status"] == status


def test_injected_quota_error_carries_quota_failure_and_retry_info(gemini_emulator: RunningEmulator) -> None:
    gemini_emulator.faults.push(Fault(status=429, retry_after=2, times=1))
    client = _client(gemini_emulator)

    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents="hi")

    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    details = caught.value.details["error"]["details"]
    assert details[0]["violations"][0]["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel"
    assert details[-1] == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}


def test_bad_requests_are_refused(gemini_emulator: RunningEmulator) -> None:
    base = f"{gemini_emulator.base_url}/v1beta/models/{MODEL}"
    headers = {"x-goog-api-key": "k"}

    empty = httpx.post(f"{base}:generateContent", headers=headers, json={"contents": []})
    broken = httpx.post(f"{base}:generateContent", headers=headers, content=b"{")
    unknown = httpx.post(f"{base}:embedEverything", headers=headers, json={"contents": []})

    assert [r.status_code for r in (empty, broken, unknown)] == [400, 400, 404]
    assert empty.json()["error"]["status"] == "INVALID_ARGUMENT"
