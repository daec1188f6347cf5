"""Provider-shaped error bodies for injected faults and validation failures.

Why a table: the SDKs map the HTTP status to an exception class and expose the body's
``type``/``code`` (OpenAI) or ``error.type`` (Anthropic); the product's failover logic
branches on exactly those values, so they must match what the real APIs send.

``error_type`` (from :class:`~emulators.faults.Fault`) picks a specific error and,
when the fault has no ``status``, its usual status.  Each provider also accepts the
other provider's names as aliases (``overloaded_error`` on OpenAI is a 503
``server_error``; ``insufficient_quota`` on Anthropic is a 402 ``billing_error``) so
one chaos mix can drive both emulators.  Unknown names are used verbatim as
``type`` (and ``code`` for OpenAI) with status 500 unless a status is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPENAI_RATE_LIMIT_MESSAGE = (
    "Rate limit reached for requests per min (RPM) on {model}: Limit 10000, Used 10000, "
    "Requested 1. Please try again in 6ms. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
OPENAI_SERVER_ERROR_MESSAGE = (
    "The server had an error while processing your request. Sorry about that!"
)


@dataclass(frozen=True)
class _OpenAIError:
    status: int
    type: str
    code: str | None
    message: str
    param: str | None = None
    extra: dict[str, Any] | None = None  # provider-specific fields (Azure's innererror)


AZURE_CONTENT_FILTER_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content "
    "management policy. Please modify your prompt and retry. To learn more about our "
    "content filtering policies please read our documentation: "
    "https://go.microsoft.com/fwlink/?linkid=2198766"
)
_AZURE_FILTER_RESULT = {
    category: {"filtered": category == "violence", "severity": "medium" if category == "violence" else "safe"}
    for category in ("hate", "self_harm", "sexual", "violence")
}

_OPENAI_BY_STATUS: dict[int, _OpenAIError] = {
    400: _OpenAIError(400, "invalid_request_error", None, "Invalid request (emulated fault)."),
    401: _OpenAIError(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: _OpenAIError(
        403, "permission_denied", "permission_denied", "You are not allowed to access this resource."
    ),
    404: _OpenAIError(
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    409: _OpenAIError(409, "invalid_request_error", "conflict", "Request conflict (emulated)."),
    413: _OpenAIError(
        413, "invalid_request_error", "request_too_large", "Request body too large (emulated)."
    ),
    422: _OpenAIError(422, "invalid_request_error", None, "Unprocessable request (emulated)."),
    429: _OpenAIError(429, "requests", "rate_limit_exceeded", OPENAI_RATE_LIMIT_MESSAGE),
    500: _OpenAIError(500, "server_error", None, OPENAI_SERVER_ERROR_MESSAGE),
    502: _OpenAIError(502, "server_error", None, "Bad gateway."),
    503: _OpenAIError(
        503, "server_error", None, "The engine is currently overloaded, please try again later."
    ),
    504: _OpenAIError(504, "server_error", None, "Gateway timeout."),
}

_OPENAI_BY_TYPE: dict[str, _OpenAIError] = {
    "insufficient_quota": _OpenAIError(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For "
        "more information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    "context_length_exceeded": _OpenAIError(
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in {tokens} tokens. Please reduce the length of the messages.",
        "messages",
    ),
    "rate_limit_exceeded": _OPENAI_BY_STATUS[429],
    "tokens": _OpenAIError(
        429,
        "tokens",
        "rate_limit_exceeded",
        "Rate limit reached for {model} on tokens per min (TPM): Limit 30000, Used 30000, "
        "Requested 100. Please try again in 200ms.",
    ),
    "invalid_api_key": _OPENAI_BY_STATUS[401],
    "model_not_found": _OPENAI_BY_STATUS[404],
    "server_error": _OPENAI_BY_STATUS[500],
    "content_policy_violation": _OpenAIError(
        400,
        "invalid_request_error",
        "content_policy_violation",
        "Your request was rejected as a result of our safety system.",
    ),
    # Azure OpenAI's prompt filter: `type` is null, the verdict is in `innererror`.
    "content_filter": _OpenAIError(
        400,
        "",
        "content_filter",
        AZURE_CONTENT_FILTER_MESSAGE,
        "prompt",
        {
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": _AZURE_FILTER_RESULT,
            },
        },
    ),
    # Anthropic names, so one chaos mix can drive both emulators.
    "overloaded_error": _OPENAI_BY_STATUS[503],
    "api_error": _OPENAI_BY_STATUS[500],
    "rate_limit_error": _OPENAI_BY_STATUS[429],
    "authentication_error": _OPENAI_BY_STATUS[401],
    "not_found_error": _OPENAI_BY_STATUS[404],
    "invalid_request_error": _OPENAI_BY_STATUS[400],
}


def openai_error(
    status: int | None,
    error_type: str | None,
    *,
    model: str = "unknown",
    tokens: int = 0,
    key: str = "sk-****",
    message: str | None = None,
    param: str | None = None,
    code: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """(status, body) of an OpenAI error: ``{"error": {message, type, param, code}}``."""
    spec = _OPENAI_BY_TYPE.get(error_type) if error_type else None
    if error_type and spec is None:
        spec = _OpenAIError(status or 500, error_type, error_type, f"Emulated {error_type}.")
    if spec is None:
        spec = _OPENAI_BY_STATUS.get(status or 500) or (
            _OpenAIError(status or 500, "server_error", None, OPENAI_SERVER_ERROR_MESSAGE)
            if (status or 500) >= 500
            else _OpenAIError(status or 400, "invalid_request_error", None, "Invalid request.")
        )
    text = message or spec.message.format(model=model, tokens=tokens, key=key)
    error: dict[str, Any] = {
        "message": text,
        "type": spec.type or None,
        "param": param if param is not None else spec.param,
        "code": code if code is not None else spec.code,
        **(spec.extra or {}),
    }
    return (status or spec.status), {"error": error}


_ANTHROPIC_STATUS_TYPE: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_TYPE_STATUS: dict[str, int] = {v: k for k, v in _ANTHROPIC_STATUS_TYPE.items()}
_ANTHROPIC_MESSAGES: dict[str, str] = {
    "invalid_request_error": "Invalid request (emulated fault).",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API. "
    "Please go to Plans & Billing to upgrade or purchase credits.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "model: {model}",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "This request would exceed the rate limit for your organization of "
    "50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}
# Other providers' names -> (anthropic type, status, message override)
_ANTHROPIC_ALIASES: dict[str, tuple[str, int, str | None]] = {
    "insufficient_quota": ("billing_error", 402, None),
    "context_length_exceeded": (
        "invalid_request_error",
        400,
        "prompt is too long: {tokens} tokens > 200000 maximum",
    ),
    "rate_limit_exceeded": ("rate_limit_error", 429, None),
    "server_error": ("api_error", 500, None),
    "invalid_api_key": ("authentication_error", 401, None),
    "model_not_found": ("not_found_error", 404, None),
}


def anthropic_error(
    status: int | None,
    error_type: str | None,
    *,
    request_id: str,
    model: str = "unknown",
    tokens: int = 0,
    message: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """(status, body) of an Anthropic error: ``{"type": "error", "error": {...}, "request_id"}``."""
    template: str | None = None
    if error_type in _ANTHROPIC_ALIASES:
        kind, default_status, template = _ANTHROPIC_ALIASES[error_type]
    elif error_type:
        kind, default_status = error_type, _ANTHROPIC_TYPE_STATUS.get(error_type, 500)
    else:
        default_status = status or 500
        kind = _ANTHROPIC_STATUS_TYPE.get(default_status) or (
            "api_error" if default_status >= 500 else "invalid_request_error"
        )
    template = template or _ANTHROPIC_MESSAGES.get(kind, f"Emulated {kind}.")
    text = message or template.format(model=model, tokens=max(tokens, 200001))
    body = {"type": "error", "error": {"type": kind, "message": text}, "request_id": request_id}
    return (status or default_status), body


def anthropic_stream_error(error_type: str | None) -> dict[str, Any]:
    """Body of an Anthropic in-stream ``event: error`` (default ``overloaded_error``)."""
    _, body = anthropic_error(None, error_type or "overloaded_error", request_id="")
    return {"type": "error", "error": body["error"]}


def openai_stream_error(error_type: str | None) -> dict[str, Any]:
    """Body of an OpenAI in-stream error chunk (default ``server_error``)."""
    _, body = openai_error(None, error_type or "server_error")
    return body
