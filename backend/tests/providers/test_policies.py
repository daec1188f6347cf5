"""The policy modules on their own: classification, backoff, planner, deadline.

SDK exceptions are the real classes from the `openai` and `anthropic` packages, built
around real `httpx2` responses, exactly as the SDKs raise them.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from app.ai.providers.adapters.anthropic import AnthropicAdapter
from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.openai import OpenAIAdapter
from app.ai.providers.engine.planner import AttemptPlanner
from app.ai.providers.errors import (
    IncompleteStreamError,
    ProviderError,
    ProviderNotConfiguredError,
    describe,
    redact,
)
from app.ai.providers.policies.backoff import backoff_delay, parse_retry_after
from app.ai.providers.policies.classification import Classification, ErrorClass, classify, classify_status
from app.ai.providers.policies.deadline import Deadline

OPENAI = OpenAIAdapter()
ANTHROPIC = AnthropicAdapter()


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/x")
    return httpx2.Response(status, json=body, headers=headers or {}, request=request)


def openai_error(status: int, type_: str, code: str | None = None, **headers: str) -> Exception:
    body = {"error": {"message": "m", "type": type_, "param": None, "code": code}}
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1/v1")
    response = _response(status, body, {k.replace("_", "-"): v for k, v in headers.items()})
    return client._make_status_error_from_response(response)


def anthropic_error(status: int, type_: str, **headers: str) -> Exception:
    body = {"type": "error", "error": {"type": type_, "message": "m"}}
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url="http://127.0.0.1")
    response = _response(status, body, {k.replace("_", "-"): v for k, v in headers.items()})
    return client._make_status_error_from_response(response)


def _verdict(exc: BaseException, adapter: Any) -> Classification:
    return classify(exc, [adapter.classify])


@pytest.mark.parametrize(
    ("status", "type_", "code", "expected", "reason"),
    [
        (429, "requests", "rate_limit_exceeded", ErrorClass.TRANSIENT, "rate_limited"),
        (429, "insufficient_quota", "insufficient_quota", ErrorClass.PROVIDER_FATAL, "insufficient_quota"),
        (500, "server_error", None, ErrorClass.TRANSIENT, "server_error"),
        (503, "server_error", None, ErrorClass.TRANSIENT, "server_error"),
        (408, "timeout", None, ErrorClass.TRANSIENT, "timeout"),
        (409, "conflict", None, ErrorClass.TRANSIENT, "conflict"),
        (401, "invalid_request_error", "invalid_api_key", ErrorClass.PROVIDER_FATAL, "authentication"),
        (403, "invalid_request_error", None, ErrorClass.PROVIDER_FATAL, "permission"),
        (404, "invalid_request_error", "model_not_found", ErrorClass.PROVIDER_FATAL, "model_not_found"),
        (400, "invalid_request_error", "context_length_exceeded", ErrorClass.REQUEST_FATAL,
         "context_length_exceeded"),
        (400, "invalid_request_error", None, ErrorClass.REQUEST_FATAL, "invalid_request"),
        (413, "invalid_request_error", None, ErrorClass.REQUEST_FATAL, "invalid_request"),
        (422, "invalid_request_error", None, ErrorClass.REQUEST_FATAL, "invalid_request"),
    ],
)
def test_openai_errors_are_classified_by_status_and_type(
    status: int, type_: str, code: str | None, expected: ErrorClass, reason: str
) -> None:
    verdict = _verdict(openai_error(status, type_, code), OPENAI)
    assert (verdict.error_class, verdict.reason, verdict.status) == (expected, reason, status)


@pytest.mark.parametrize(
    ("status", "type_", "expected"),
    [
        (529, "overloaded_error", ErrorClass.TRANSIENT),
        (429, "rate_limit_error", ErrorClass.TRANSIENT),
        (500, "api_error", ErrorClass.TRANSIENT),
        (400, "billing_error", ErrorClass.PROVIDER_FATAL),
        (402, "billing_error", ErrorClass.PROVIDER_FATAL),
        (401, "authentication_error", ErrorClass.PROVIDER_FATAL),
        (403, "permission_error", ErrorClass.PROVIDER_FATAL),
        (404, "not_found_error", ErrorClass.PROVIDER_FATAL),
        (413, "request_too_large", ErrorClass.REQUEST_FATAL),
        (400, "invalid_request_error", ErrorClass.REQUEST_FATAL),
        # An error event inside a 200 stream carries its type in the body.
        (200, "overloaded_error", ErrorClass.TRANSIENT),
    ],
)
def test_anthropic_errors_are_classified_by_status_and_type(
    status: int, type_: str, expected: ErrorClass
) -> None:
    assert _verdict(anthropic_error(status, type_), ANTHROPIC).error_class is expected


def test_retry_after_headers_are_read_from_the_error() -> None:
    exc = openai_error(429, "requests", "rate_limit_exceeded", retry_after_ms="1500")
    assert _verdict(exc, OPENAI).retry_after == pytest.approx(1.5)
    exc = anthropic_error(529, "overloaded_error", retry_after="3")
    assert _verdict(exc, ANTHROPIC).retry_after == pytest.approx(3.0)


def test_sdk_transport_errors_are_transient() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/x")
    for exc in (openai.APITimeoutError(request), anthropic.APITimeoutError(request)):
        adapter = OPENAI if isinstance(exc, openai.APIError) else ANTHROPIC
        assert _verdict(exc, adapter) == Classification(ErrorClass.TRANSIENT, "timeout")
    for exc in (openai.APIConnectionError(request=request), anthropic.APIConnectionError(request=request)):
        adapter = OPENAI if isinstance(exc, openai.APIError) else ANTHROPIC
        assert _verdict(exc, adapter).reason == "connection"


def test_openai_in_stream_error_event_is_transient() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/x")
    exc = openai.APIError("boom", request, body={"message": "boom", "type": "weird", "code": None})
    assert _verdict(exc, OPENAI) == Classification(ErrorClass.TRANSIENT, "stream_error")


def test_generic_rules_cover_our_own_errors_and_cancellation() -> None:
    assert classify(asyncio.CancelledError()).error_class is ErrorClass.CANCELLED
    assert classify(GeneratorExit()).error_class is ErrorClass.CANCELLED
    assert classify(IncompleteStreamError("openai", 3)).reason == "incomplete_stream"
    assert classify(TimeoutError()).reason == "timeout"
    assert classify(ConnectionResetError()).reason == "connection"
    assert classify(ValueError("bug")).error_class is ErrorClass.PROVIDER_FATAL


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, ErrorClass.TRANSIENT), (529, ErrorClass.TRANSIENT), (502, ErrorClass.TRANSIENT),
     (401, ErrorClass.PROVIDER_FATAL), (402, ErrorClass.PROVIDER_FATAL),
     (404, ErrorClass.PROVIDER_FATAL), (400, ErrorClass.REQUEST_FATAL),
     (418, ErrorClass.REQUEST_FATAL)],
)
def test_status_table(status: int, expected: ErrorClass) -> None:
    assert classify_status(status)[0] is expected


def test_parse_retry_after_variants() -> None:
    assert parse_retry_after({"retry-after-ms": "250"}) == pytest.approx(0.25)
    assert parse_retry_after({"retry-after": "2"}) == pytest.approx(2.0)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "3600"}) is None  # too long to honour
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3.0 <= (parse_retry_after({"retry-after": date}) or 0) <= 5.5


def test_backoff_is_full_jitter_bounded_by_cap_and_honours_hints() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, base=0.5, cap=4.0, rng=rng) for n in range(1, 8) for _ in range(50)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert max(backoff_delay(1, base=0.5, rng=rng) for _ in range(50)) <= 0.5
    assert backoff_delay(3, retry_after=1.25) == 1.25


def _members(*names: str) -> list[Member]:
    return [Member(n, FakeListChatModel(responses=["x"]), OPENAI) for n in names]


def _run_plan(planner: AttemptPlanner, verdicts: list[Classification]) -> list[str]:
    order = []
    for verdict in verdicts:
        step = planner.next()
        if step is None:
            break
        order.append(step[0].name)
        planner.failed(step[0], verdict)
    return order


TRANSIENT = Classification(ErrorClass.TRANSIENT, "server_error")
FATAL = Classification(ErrorClass.PROVIDER_FATAL, "authentication")
BAD_REQUEST = Classification(ErrorClass.REQUEST_FATAL, "invalid_request")


def test_planner_fails_over_before_retrying_and_round_robins_retries() -> None:
    planner = AttemptPlanner(_members("a", "b"), max_retries=2, deadline=Deadline(60, 10), backoff_base=0)
    assert _run_plan(planner, [TRANSIENT] * 10) == ["a", "b", "a", "b", "a", "b"]


def test_planner_never_retries_a_provider_fatal_failure() -> None:
    planner = AttemptPlanner(_members("a", "b"), max_retries=2, deadline=Deadline(60, 10), backoff_base=0)
    assert _run_plan(planner, [FATAL, TRANSIENT, TRANSIENT, TRANSIENT, TRANSIENT]) == ["a", "b", "b", "b"]


def test_planner_gives_a_refused_request_one_try_elsewhere_and_no_retries() -> None:
    planner = AttemptPlanner(_members("a", "b"), max_retries=2, deadline=Deadline(60, 10), backoff_base=0)
    assert _run_plan(planner, [BAD_REQUEST, TRANSIENT, TRANSIENT]) == ["a", "b"]


def test_planner_alone_retries_with_backoff_and_honours_retry_after() -> None:
    planner = AttemptPlanner(_members("a"), max_retries=2, deadline=Deadline(60, 10), backoff_base=0.1)
    member, pause = planner.next() or (None, -1)
    assert pause == 0
    planner.failed(member, Classification(ErrorClass.TRANSIENT, "rate_limited", 429, retry_after=1.5))
    assert planner.next() == (member, 1.5)


def test_planner_stops_at_the_deadline_and_drops_hints_past_it() -> None:
    deadline = Deadline(1.0, 1.0)
    planner = AttemptPlanner(_members("a"), max_retries=5, deadline=deadline)
    member, _ = planner.next() or (None, 0)
    planner.failed(member, Classification(ErrorClass.TRANSIENT, "overloaded", 529, retry_after=30))
    assert planner.next() is None
    expired = Deadline(0.0, 1.0)
    assert AttemptPlanner(_members("a"), max_retries=1, deadline=expired).next() is None


def test_deadline_caps_each_attempt() -> None:
    deadline = Deadline(seconds=5, attempt_timeout=60)
    assert deadline.next_attempt_timeout() <= 5
    assert Deadline(seconds=120, attempt_timeout=2).next_attempt_timeout() == 2


def test_provider_error_is_an_exception_group_with_attempts() -> None:
    errors = [ValueError("a"), TimeoutError("b")]
    err = ProviderError("All AI providers failed", errors)
    assert isinstance(err, ExceptionGroup)
    assert list(err.exceptions) == errors
    assert err.retry_after is None
    empty = ProviderError("nothing", [])
    assert len(empty.exceptions) == 1
    assert "OPENAI_API_KEY" in str(ProviderNotConfiguredError(["OPENAI_API_KEY"]))


def test_describe_cuts_a_long_text_at_a_word_after_masking_keys() -> None:
    fake_key = "sk-" + "abcdefghijklmnop1234"
    words = "upstream said " + "overloaded " * 16 + "busy "  # 195 characters: the key straddles the cut
    exc = ValueError(f"{words}{fake_key} please retry later")
    text = describe(exc)
    assert text.startswith("ValueError: upstream said overloaded")
    assert text.endswith(" …") and len(text) <= len("ValueError: ") + 200
    assert "abcd" not in text and "sk-a" not in text
    assert all(word in {"overloaded", "upstream", "said", "busy", "…", "sk-***"} for word in text.split()[1:])


def test_describe_redacts_keys() -> None:
    fake_key = "sk-" + "abcdefghijklmnop1234"  # built at run time: no key-shaped literal in the tree
    exc = ValueError(f"Incorrect API key provided: {fake_key}")
    assert "abcdefghij" not in describe(exc)
    assert redact("key sk-ant-api03-secretsecret") == "key sk-ant-***"
