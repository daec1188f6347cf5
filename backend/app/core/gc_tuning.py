"""Garbage-collector settings for a serving process, applied for the app's lifetime.

Why: a request allocates thousands of short-lived objects (SDK request and response
models, LangChain messages, chunks), so CPython's default gen-0 threshold (700) runs a
collection every few requests, and each older-generation collection walks the whole
import-time heap (LangChain, pydantic schemas, SDK types: hundreds of thousands of
objects that never die). Measured on the gateway path, collections were 16-20 % of the
CPU per request (docs/BENCHMARKS.md, "Gateway"). Two standard remedies, both from the
`gc` module's documentation:

* `gc.freeze()` once start-up is done: everything alive then moves to a permanent
  generation that collections skip;
* a higher gen-0 threshold, so collections run per few hundred requests instead of per
  few. Reference counting still frees almost everything at once; only cycles wait.

Shutdown undoes both, so an app built and stopped inside a longer-lived process (tests,
an embedding service) leaves the collector as it found it.
"""

from __future__ import annotations

import gc

#: Gen-0 threshold while serving (CPython's default is 700); the older generations keep
#: their default ratios.
SERVING_GEN0_THRESHOLD = 10_000


class ServingCollector:
    """Start-up / shutdown handlers that tune the collector and restore it."""

    def __init__(self) -> None:
        self._saved: tuple[int, ...] | None = None

    def start(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        _, gen1, gen2 = self._saved
        gc.set_threshold(max(SERVING_GEN0_THRESHOLD, self._saved[0]), gen1, gen2)

    def stop(self) -> None:
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        gc.unfreeze()
        self._saved = None
