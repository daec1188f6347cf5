"""Runners: thread, current loop, subprocess / CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import anthropic
import openai
import pytest

from emulators import Fault, spawn_emulator_process, start_emulator, start_emulator_async

BACKEND = Path(__file__).resolve().parents[2]
USER = [{"role": "user", "content": "hi"}]


def test_thread_runner_stops_despite_hanging_client() -> None:
    emulator = start_emulator("openai")
    assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/v1"
    emulator.faults.set_default(Fault(hang=True))
    client = openai.OpenAI(base_url=emulator.base_url, api_key="k", max_retries=0, timeout=30)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 5
    while emulator.request_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    emulator.stop()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert errors and isinstance(errors[0], openai.APIConnectionError)
    emulator.stop()  # idempotent


async def test_async_runner_on_current_loop() -> None:
    async with await start_emulator_async("anthropic") as emulator:
        assert emulator.base_url == f"http://127.0.0.1:{emulator.port}"
        async with anthropic.AsyncAnthropic(
            base_url=emulator.base_url, api_key="k", max_retries=0
        ) as client:
            msg = await client.messages.create(model="c", max_tokens=5, messages=USER)  # type: ignore[arg-type]
        assert msg.content[0].text == "[anthropic:c] You said: hi"  # type: ignore[union-attr]
        assert emulator.request_count == 1


def test_spawned_process_with_control_api() -> None:
    with spawn_emulator_process("openai", 0, fault=Fault(status=503, times=1)) as proc:
        client = openai.OpenAI(base_url=proc.base_url, api_key="k", max_retries=0, timeout=5)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        assert client.chat.completions.create(model="m", messages=USER).choices[0].message.content  # type: ignore[arg-type]
        proc.push_fault(Fault(status=429, times=1))
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        assert proc.request_count == 3
        proc.reset()
        assert proc.request_count == 0
    assert proc.process.poll() is not None


def test_cli_both_providers() -> None:
    cmd = [
        sys.executable, "-m", "emulators", "--provider", "both",
        "--openai-port", "0", "--anthropic-port", "0", "--chaos-seed", "5",
    ]
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    proc = subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().split() for _ in range(2)]
        urls = {parts[1]: parts[2] for parts in lines}
        assert urls["openai"].endswith("/v1") and not urls["anthropic"].endswith("/v1")
        client = anthropic.Anthropic(base_url=urls["anthropic"], api_key="k", max_retries=0)
        msg = client.with_options(max_retries=5).messages.create(
            model="c", max_tokens=5, messages=USER  # type: ignore[arg-type]
        )
        assert msg.content
    finally:
        proc.terminate()
        assert proc.wait(5) is not None


def test_gemini_emulator_runs_as_its_own_process() -> None:
    with spawn_emulator_process("gemini", 0) as proc:
        assert proc.base_url == f"http://127.0.0.1:{proc.port}"
        assert proc.control("GET", "health")
        assert proc.request_count == 0
    assert proc.process.poll() is not None


def _emulator_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    return subprocess.run(
        [sys.executable, "-m", "emulators", *args], cwd=BACKEND, env=env, capture_output=True,
        text=True, timeout=30,
    )


def test_cli_help_is_plain_text() -> None:
    completed = _emulator_cli("--help")
    assert completed.returncode == 0
    assert "--provider" in completed.stdout and "EMULATOR <provider> <base_url>" in completed.stdout
    for markup in ("``", ":func:", ":class:", ":meth:"):
        assert markup not in completed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fault", "{bad json"), "--fault/--chaos-mix is not valid JSON"),
        (("--fault", '{"status": "abc"}'), "invalid fault: status must be an HTTP error status"),
        (("--fault", "[1, 2]"), "--fault must be a JSON object"),
        (("--provider", "both", "--port", "9000"), "with --provider both use --openai-port"),
    ],
)
def test_cli_usage_errors_are_one_clear_line(args: tuple[str, ...], message: str) -> None:
    completed = _emulator_cli(*args)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr
