"""A/B quality end to end: answers split between two arms are rated, and the status
endpoint, the status page data, /metrics and `usage` say which arm is better."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.commands.usage import usage

QUESTION = {"question": "What is the relocation budget?"}
PER_ARM = 12


def test_ratings_per_arm_give_a_significant_verdict(
    make_client: Callable[..., TestClient], demo_db_path: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copy(demo_db_path, tmp_path / "ab.db")
    url = f"sqlite:///{tmp_path / 'ab.db'}"
    client = make_client(DATABASE_URL=url, AI_ROUTING_STRATEGY="ab", AI_AB_SPLIT="openai=50,anthropic=50",
                         AI_LEDGER_FLUSH_SECONDS=0.05)
    served: dict[str, list[str]] = {"openai": [], "anthropic": []}
    with client:
        user = 0
        while min(len(ids) for ids in served.values()) < PER_ARM:
            user += 1
            request_id = f"ab-{user}"
            response = client.post("/api/v1/qa", json=QUESTION,
                                   headers={"X-User-Id": f"user-{user}", "X-Request-ID": request_id})
            assert response.status_code == 200 and response.json()["found"], response.text
            arm = response.json()["provider"]
            if len(served[arm]) < PER_ARM:
                served[arm].append(request_id)
            assert user < 200, "the A/B split never reached the second arm"
        for arm, rating in (("openai", "up"), ("anthropic", "down")):
            for request_id in served[arm]:
                rated = client.post("/api/v1/ai/feedback", json={"request_id": request_id, "rating": rating})
                assert rated.status_code == 201 and rated.json()["arm"] == arm, rated.text
        status = client.get("/api/v1/ai/status").json()
        metrics = client.get("/metrics").text
    qa = status["quality"]["features"]["document_qa"]
    assert qa["verdict"]["significant"] is True and qa["verdict"]["better_arm"] == "openai"
    assert qa["verdict"]["text"].startswith("arm openai better at p < 0.05")
    openai, anthropic = qa["arms"]["openai"], qa["arms"]["anthropic"]
    assert openai["ratings"]["n"] == anthropic["ratings"]["n"] == PER_ARM
    low, high = openai["ratings"]["positive_share"]["ci95"]
    assert openai["ratings"]["positive_share"]["value"] == 1.0 and 0.7 < low < 1.0 == high
    assert anthropic["ratings"]["positive_share"]["value"] == 0.0
    assert openai["answers"] >= PER_ARM and openai["cost_per_answer_usd"] > 0
    assert openai["failover_rate"]["value"] == 0.0 and openai["latency_ms"]["mean"] > 0
    series = 'tandem_ai_feedback_total{arm="openai",feature="document_qa",provider="openai",verdict="positive"}'
    line = next(line for line in metrics.splitlines() if line.startswith(series))
    assert float(line.split()[-1]) >= PER_ARM  # a process-wide counter: other tests may add to it
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert usage(argparse.Namespace(days=1, json=False), settings) == 0
    out = capsys.readouterr().out
    assert "A/B quality by feature and arm" in out
    assert "document_qa: arm openai better at p < 0.05" in out
