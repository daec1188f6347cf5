"""Public entry points: run an emulator in a thread, on the current loop, or in a process.

Why three ways: tests with the sync SDKs need the server on another thread (its own
event loop) so a blocking client call cannot starve it; async tests may prefer the
server on their own loop; benchmarks need a separate process so the emulator does
not share the GIL with the client being measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from emulators.anthropic_api import AnthropicApp
from emulators.faults import Fault, FaultPlan
from emulators.gemini_api import GeminiApp
from emulators.http import EmulatorRequest, EmulatorServer, ProviderApp
from emulators.openai_api import OpenAIApp

Provider = Literal["openai", "anthropic", "gemini"]
_BACKEND_DIR = Path(__file__).resolve().parents[1]


def make_app(provider: Provider) -> ProviderApp:
    """The provider app for ``provider``."""
    if provider == "openai":
        return OpenAIApp()
    if provider == "anthropic":
        return AnthropicApp()
    if provider == "gemini":
        return GeminiApp()
    raise ValueError(f"unknown provider {provider!r}")


def base_url_for(provider: Provider, host: str, port: int) -> str:
    """SDK base URL: the OpenAI SDK expects ``/v1``; the Anthropic and Gemini SDKs append theirs."""
    root = f"http://{host}:{port}"
    return f"{root}/v1" if provider == "openai" else root


class _Handle:
    """Attributes shared by the thread and async runners."""

    provider: Provider
    server: EmulatorServer

    @property
    def host(self) -> str:
        """Bound host."""
        return self.server.host

    @property
    def port(self) -> int:
        """Bound port (the real one when started with port 0)."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to the provider SDK / LangChain model."""
        return base_url_for(self.provider, self.host, self.port)

    @property
    def root_url(self) -> str:
        """``http://host:port`` -- the control endpoints live under ``/_emulator/``."""
        return f"http://{self.host}:{self.port}"

    @property
    def faults(self) -> FaultPlan:
        """The live fault plan (thread-safe)."""
        return self.server.faults

    @property
    def requests(self) -> list[EmulatorRequest]:
        """Recorded provider requests, oldest first."""
        return self.server.requests

    @property
    def request_count(self) -> int:
        """Provider requests received since the last reset."""
        return self.server.request_count

    def reset(self) -> None:
        """Clear faults and recorded requests (what the per-test fixtures call)."""
        self.server.faults.clear()
        self.server.clear_requests()
        self.server.forget_prompt_cache()


class RunningEmulator(_Handle):
    """An emulator served by a daemon thread with its own event loop."""

    def __init__(self, provider: Provider, host: str = "127.0.0.1", port: int = 0) -> None:
        self.provider = provider
        self.server = EmulatorServer(make_app(provider), host, port)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"emulator-{provider}", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError(f"emulator failed to start: {self._error}") from self._error
        if not self._ready.is_set():
            raise RuntimeError("emulator did not start within 10 s")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self.server.stop())
            self._loop.close()

    def stop(self) -> None:
        """Stop serving, cancel open connections, join the thread (idempotent)."""
        if self._thread.is_alive() and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(provider: Provider, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Start an emulator in a background thread; ``port=0`` picks a free port."""
    return RunningEmulator(provider, host, port)


class AsyncEmulator(_Handle):
    """An emulator served on the caller's event loop (async clients only!)."""

    def __init__(self, provider: Provider, host: str = "127.0.0.1", port: int = 0) -> None:
        self.provider = provider
        self.server = EmulatorServer(make_app(provider), host, port)

    async def start(self) -> Self:
        """Bind and start serving on the running loop (no-op when already started)."""
        if not self.server.started:
            await self.server.start()
        return self

    async def stop(self) -> None:
        """Stop serving and cancel open connections."""
        await self.server.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def start_emulator_async(
    provider: Provider, host: str = "127.0.0.1", port: int = 0
) -> AsyncEmulator:
    """Start an emulator on the current loop.  A sync SDK client would deadlock it."""
    return await AsyncEmulator(provider, host, port).start()


class EmulatorProcess:
    """An emulator CLI subprocess, driven through the HTTP control endpoints."""

    def __init__(self, provider: Provider, process: subprocess.Popen[bytes], port: int) -> None:
        self.provider = provider
        self.process = process
        self.host = "127.0.0.1"
        self.port = port

    @property
    def base_url(self) -> str:
        """SDK base URL."""
        return base_url_for(self.provider, self.host, self.port)

    @property
    def root_url(self) -> str:
        """``http://host:port`` for the control endpoints."""
        return f"http://{self.host}:{self.port}"

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        """Call ``/_emulator/<path>`` and return the decoded JSON answer."""
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(
            f"{self.root_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read() or b"null")

    def push_fault(self, *faults: Fault) -> None:
        """Queue faults in the subprocess."""
        self.control("POST", "faults", {"faults": [f.to_dict() for f in faults]})

    def set_default_fault(self, fault: Fault | None) -> None:
        """Set (or clear with ``None``) the default fault."""
        self.control("POST", "faults", {"default": None if fault is None else fault.to_dict()})

    def chaos(self, seed: int, mix: list[tuple[float, Fault]] | None = None) -> None:
        """Enable seeded chaos mode (default mix when ``mix`` is None)."""
        spec: dict[str, Any] = {"seed": seed}
        if mix is not None:
            spec["mix"] = [[weight, fault.to_dict()] for weight, fault in mix]
        self.control("POST", "faults", {"chaos": spec})

    def clear_faults(self) -> None:
        """Drop every fault."""
        self.control("DELETE", "faults")

    @property
    def request_count(self) -> int:
        """Provider requests received since the last reset."""
        return int(self.control("GET", "health")["requests"])

    def reset(self) -> None:
        """Clear faults and recorded requests."""
        self.control("POST", "reset")

    def stop(self) -> None:
        """Terminate the process (kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def spawn_emulator_process(
    provider: Provider,
    port: int = 0,
    *,
    fault: Fault | None = None,
    chaos_seed: int | None = None,
    timeout: float = 15.0,
) -> EmulatorProcess:
    """Run ``python -m emulators`` in a subprocess and wait until it is healthy."""
    cmd = [sys.executable, "-m", "emulators", "--provider", provider, "--port", str(port)]
    if fault is not None:
        cmd += ["--fault", json.dumps(fault.to_dict())]
    if chaos_seed is not None:
        cmd += ["--chaos-seed", str(chaos_seed)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_BACKEND_DIR), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(cmd, cwd=_BACKEND_DIR, env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        bound = _read_port(process, provider, deadline)
        handle = EmulatorProcess(provider, process, bound)
        while True:
            try:
                handle.control("GET", "health")
                return handle
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    except BaseException:
        process.kill()
        process.wait(5)
        raise


def _read_port(process: subprocess.Popen[bytes], provider: str, deadline: float) -> int:
    """Parse the ``EMULATOR <provider> <url>`` line the CLI prints once bound."""
    assert process.stdout is not None
    buffer = b""
    fd = process.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "EMULATOR" and parts[1] == provider:
                    return int(parts[2].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        elif process.poll() is not None:
            break
    raise RuntimeError(f"emulator process did not report its port (exit={process.poll()})")
