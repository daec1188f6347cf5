"""Google Gemini API (``generativelanguage.googleapis.com``) emulator.

Why so literal: the ``google-genai`` SDK and ``langchain_google_genai`` parse these
payloads (camelCase REST JSON), and the product's Gemini error classification reads
exactly what Google sends: ``{"error": {"code", "message", "status", "details"}}`` with
``google.rpc`` detail objects (``QuotaFailure``, ``RetryInfo``, ``ErrorInfo``).  Answer
content follows :mod:`emulators.content`.

Routes (``v1beta``, ``v1`` and ``v1alpha`` prefixes):
``POST /v1beta/models/{model}:generateContent``,
``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` (one SSE ``data:`` event
per token, the last one carrying ``finishReason`` and the usage),
``POST /v1beta/models/{model}:countTokens``, ``GET /v1beta/models``.
Auth: ``x-goog-api-key`` header or ``?key=``; missing is a 403 ``PERMISSION_DENIED``,
a key containing ``invalid`` is Google's 400 ``API_KEY_INVALID``.

Fault ``error_type`` names (the other emulators' names are accepted as aliases so one
chaos mix drives all three): ``rate_limit_exceeded`` (429 per-minute quota, transient),
``quota_exhausted``/``insufficient_quota`` (429 per-day quota), ``overloaded_error``
(503 ``UNAVAILABLE``), ``server_error`` (500 ``INTERNAL``), ``context_length_exceeded``
(400, Google's token-count message), ``invalid_api_key``, ``permission_error``,
``model_not_found``, and ``safety`` / ``safety_response`` -- a 200 answer whose prompt
(resp. candidate) was blocked by the safety filters, as Gemini does.

Prefill: contents ending with a ``model`` turn are continued from its text, as Gemini
2.x models do; the models Google documents as refusing it (Gemini 3.6 Flash, 3.5
Flash-Lite and later) and the ``reject_prefill`` fault answer 400 ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulators import content
from emulators.content import Conversation, IdFactory, ToolChoice, ToolSpec
from emulators.faults import Fault
from emulators.http import EmulatorRequest, JsonResponse, SseEvent, StreamResponse, encode_json

PROVIDER = "gemini"
MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash")
CONTEXT_WINDOW = 1_048_576
_ROUTE = re.compile(r"^/v1(?:beta|alpha)?/models/(?P<model>[^:/]+):(?P<method>\w+)$")
_FINISH = {
    "stop": "STOP",
    "tool": "STOP",
    "stop_sequence": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}
#: Models that refuse a prefilled final model turn (Google: 3.6 Flash, 3.5 Flash-Lite, later).
NO_PREFILL_MODELS = frozenset({"gemini-3.6-flash", "gemini-3.5-flash-lite"})
NO_PREFILL_MESSAGE = (
    "Model prefill is not supported for this model: the final turn must be a user "
    "message or a function response."
)
_RPC = "type.googleapis.com/google.rpc."
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "models/{model} is not found for API version v1beta, or is not supported for "
    "generateContent.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
_ALIASES = {
    "rate_limit_error": "rate_limit_exceeded",
    "rate_limited": "rate_limit_exceeded",
    "insufficient_quota": "quota_exhausted",
    "billing_error": "quota_exhausted",
    "overloaded": "overloaded_error",
    "api_error": "server_error",
    "authentication_error": "invalid_api_key",
    "not_found_error": "model_not_found",
}
_TYPE_STATUS = {
    "rate_limit_exceeded": 429,
    "quota_exhausted": 429,
    "overloaded_error": 503,
    "server_error": 500,
    "context_length_exceeded": 400,
    "invalid_api_key": 400,
    "permission_error": 403,
    "model_not_found": 404,
    "timeout_error": 504,
}


def google_error(
    status: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Google's error envelope ``{"error": {"code", "message", "status"[, "details"]}}``."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION"),
    }
    if details:
        error["details"] = details
    return {"error": error}


def _quota_failure(quota_id: str, metric: str) -> dict[str, Any]:
    return {
        "@type": _RPC + "QuotaFailure",
        "violations": [
            {
                "quotaMetric": f"generativelanguage.googleapis.com/{metric}",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini"},
                "quotaValue": "15",
            }
        ],
    }


def error_for_fault(fault: Fault, model: str, tokens: int) -> tuple[int, dict[str, Any]]:
    """(status, body) of the Google error an injected fault stands for."""
    kind = _ALIASES.get(fault.error_type or "", fault.error_type or "")
    status = fault.status or _TYPE_STATUS.get(kind, 500)
    details: list[dict[str, Any]] = []
    message = _MESSAGES.get(status, "Emulated error.").format(model=model)
    if kind == "context_length_exceeded":
        message = (
            f"The input token count ({max(tokens, CONTEXT_WINDOW + 1)}) exceeds the maximum "
            f"number of tokens allowed ({CONTEXT_WINDOW})."
        )
    elif kind == "quota_exhausted":
        message = (
            "You exceeded your current quota, please check your plan and billing details. "
            "For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
        )
        details.append(
            _quota_failure(
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                "generate_content_free_tier_requests",
            )
        )
    elif status == 429:
        details.append(
            _quota_failure("GenerateRequestsPerMinutePerProjectPerModel", "generate_content_requests")
        )
    elif kind == "invalid_api_key":
        message = "API key not valid. Please pass a valid API key."
        details.append(
            {
                "@type": _RPC + "ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        )
    elif kind and kind not in _TYPE_STATUS:
        message = f"Emulated {kind}."
    if status == 429 and fault.retry_after is not None:
        details.append({"@type": _RPC + "RetryInfo", "retryDelay": f"{fault.retry_after:g}s"})
    return status, google_error(status, message, details)


class GeminiApp:
    """Provider app for :class:`emulators.http.EmulatorServer`."""

    provider = PROVIDER

    def __init__(self, seed: str = "gemini") -> None:
        self.ids = IdFactory(seed)

    def handle(self, request: EmulatorRequest) -> JsonResponse | StreamResponse:
        """Route one request (auth first, as the real API does)."""
        auth = _check_auth(request)
        if auth is not None:
            return auth
        path = request.path.rstrip("/")
        if request.method == "GET" and re.fullmatch(r"/v1(?:beta|alpha)?/models", path):
            return JsonResponse(200, {"models": [_model_info(m) for m in MODELS]})
        match = _ROUTE.match(path)
        if request.method != "POST" or match is None:
            return JsonResponse(404, google_error(404, f"Method not found: {request.path}"))
        body = request.json
        if request.json_error is not None or not isinstance(body, dict):
            return JsonResponse(400, google_error(400, "Invalid JSON payload received."))
        model, method = match["model"], match["method"]
        if method == "countTokens":
            return JsonResponse(200, {"totalTokens": _prompt_tokens(body)})
        if method not in ("generateContent", "streamGenerateContent"):
            return JsonResponse(404, google_error(404, f"Method not found: {method}"))
        if not isinstance(body.get("contents"), list) or not body["contents"]:
            message = "* GenerateContentRequest.contents: contents is not specified"
            return JsonResponse(400, google_error(400, message))
        return self._generate(
            body, model, stream=method == "streamGenerateContent", fault=request.fault
        )

    def fault_error(self, fault: Fault, request: EmulatorRequest) -> JsonResponse:
        """Error (or safety-blocked 200) response for an injected fault."""
        body = request.json if isinstance(request.json, dict) else {}
        match = _ROUTE.match(request.path.rstrip("/"))
        model = match["model"] if match else MODELS[0]
        if fault.error_type in ("safety", "safety_response") and fault.status is None:
            return JsonResponse(200, self._blocked(body, model, fault.error_type == "safety"))
        status, error = error_for_fault(fault, model, _prompt_tokens(body))
        return JsonResponse(status, error)

    def stream_error(self, fault: Fault) -> bytes:
        """In-stream error event (default: 503 overloaded), which the SDK raises on."""
        kind = fault.error_type or "overloaded_error"
        _, error = error_for_fault(Fault(error_type=kind), MODELS[0], 0)
        return _sse(error)

    # ------------------------------------------------------------- answers
    def _generate(
        self, body: dict[str, Any], model: str, *, stream: bool, fault: Fault | None = None
    ) -> JsonResponse | StreamResponse:
        conv = _conversation(body, model)
        if conv.prefill is not None and (
            model in NO_PREFILL_MODELS or (fault is not None and fault.reject_prefill)
        ):
            return JsonResponse(400, google_error(400, NO_PREFILL_MESSAGE))
        answer = content.compose_answer(conv)
        if fault is not None:
            answer = content.shape_answer(answer, fault.truncate_after, fault.content_filter_after)
        prompt_tokens = _prompt_tokens(body)
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": answer.completion_tokens,
            "totalTokenCount": prompt_tokens + answer.completion_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
        }
        response_id = self.ids.make("", 22)
        finish = _FINISH[answer.finish]
        if answer.tool is not None:
            pieces: list[dict[str, Any]] = [
                {"functionCall": {"name": answer.tool.name, "args": answer.arguments or {}}}
            ]
        else:
            pieces = [{"text": token} for token in answer.tokens] if stream else [{"text": answer.text or ""}]
        if not stream:
            return JsonResponse(200, _response(pieces, model, response_id, finish, usage))
        partial_usage = {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}
        events = [
            SseEvent(_sse(_response([piece], model, response_id, None, partial_usage)), "token")
            for piece in pieces
        ]
        events.append(SseEvent(_sse(_response([{"text": ""}], model, response_id, finish, usage)), "tail"))
        return StreamResponse(events)

    def _blocked(self, body: dict[str, Any], model: str, prompt: bool) -> dict[str, Any]:
        tokens = _prompt_tokens(body)
        usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
        ratings = [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        ]
        if prompt:
            return {
                "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": ratings},
                "usageMetadata": usage,
                "modelVersion": model,
                "responseId": self.ids.make("", 22),
            }
        candidate = {"finishReason": "SAFETY", "index": 0, "safetyRatings": ratings}
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": self.ids.make("", 22),
        }


def _response(
    parts: list[dict[str, Any]],
    model: str,
    response_id: str,
    finish: str | None,
    usage: dict[str, Any],
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    if finish == "SAFETY":
        candidate["safetyRatings"] = [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        ]
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": response_id,
    }


def _sse(payload: Any) -> bytes:
    return b"data: " + encode_json(payload) + b"\r\n\r\n"


def _model_info(model: str) -> dict[str, Any]:
    return {
        "name": f"models/{model}",
        "displayName": model,
        "inputTokenLimit": CONTEXT_WINDOW,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }


def _check_auth(request: EmulatorRequest) -> JsonResponse | None:
    key = request.headers.get("x-goog-api-key", "").strip() or request.query.get("key", "").strip()
    if not key:
        return JsonResponse(
            403,
            google_error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            ),
        )
    if "invalid" in key.lower():
        status, body = error_for_fault(Fault(error_type="invalid_api_key"), MODELS[0], 0)
        return JsonResponse(status, body)
    return None


def _prompt_tokens(body: dict[str, Any]) -> int:
    """Words of every part (roles are not counted), as the other emulators do."""
    raw = body.get("contents")
    contents: list[Any] = raw if isinstance(raw, list) else []
    parts = [c.get("parts") for c in contents if isinstance(c, dict)]
    system = body.get("systemInstruction")
    return content.count_tokens(parts, system.get("parts") if isinstance(system, dict) else None)


def _text(parts: Any) -> str:
    if not isinstance(parts, list):
        return ""
    return "\n".join(str(p["text"]) for p in parts if isinstance(p, dict) and "text" in p)


def _function_responses(parts: Any) -> str | None:
    if not isinstance(parts, list):
        return None
    found = [p["functionResponse"] for p in parts if isinstance(p, dict) and "functionResponse" in p]
    if not found:
        return None
    return "\n".join(json.dumps(f.get("response", {})) for f in found if isinstance(f, dict))


def json_schema(schema: Any) -> Any:
    """Google's ``Schema`` (``type: "OBJECT"``...) as plain JSON Schema (lower-case types)."""
    if isinstance(schema, dict):
        out = {key: json_schema(value) for key, value in schema.items()}
        if isinstance(out.get("type"), str):
            out["type"] = out["type"].lower()
        return out
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    return schema


def _conversation(body: dict[str, Any], model: str) -> Conversation:
    contents = [c for c in body["contents"] if isinstance(c, dict)]
    last = contents[-1] if contents else {}
    tool_result = _function_responses(last.get("parts")) if last.get("role") != "model" else None
    user_texts = [
        _text(c.get("parts"))
        for c in contents
        if c.get("role") != "model" and _function_responses(c.get("parts")) is None
    ]
    tools = [
        ToolSpec(
            str(decl["name"]),
            str(decl.get("description", "")),
            json_schema(decl.get("parametersJsonSchema") or decl.get("parameters") or {}),
        )
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for decl in tool.get("functionDeclarations") or []
        if isinstance(decl, dict) and decl.get("name")
    ]
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    allowed = calling.get("allowedFunctionNames") or []
    if mode == "ANY" and len(allowed) == 1:
        choice = ToolChoice("tool", str(allowed[0]))
    else:
        choice = ToolChoice({"ANY": "any", "NONE": "none"}.get(mode, "auto"))
    config = body.get("generationConfig") or {}
    structured = config.get("responseMimeType") == "application/json"
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    max_tokens = config.get("maxOutputTokens")
    prefill = _text(last.get("parts")) if last.get("role") == "model" else None
    return Conversation(
        provider=PROVIDER,
        model=model,
        last_user_text=user_texts[-1] if user_texts else None,
        last_is_user=last.get("role") != "model" and tool_result is None,
        tool_result=tool_result,
        tools=tools,
        choice=choice,
        schema=json_schema(schema) if structured and schema else None,
        structured=structured,
        max_tokens=int(max_tokens) if isinstance(max_tokens, int | float) else None,
        stops=tuple(s for s in config.get("stopSequences") or [] if isinstance(s, str)),
        prompt_texts=(_text((body.get("systemInstruction") or {}).get("parts")), *user_texts),
        prefill=prefill,
    )
