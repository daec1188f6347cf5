"""/docs and /redoc work with no internet: their scripts come from the service itself."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.core.config import load_settings
from app.main import create_app
from tests.support.browser import dump_dom

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _app_settings(tmp_path: Path) -> object:
    return load_settings(_env_file=None, AUTH_MODE="local-dev", DATABASE_URL=f"sqlite:///{tmp_path / 'docs.db'}")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_service(clean_env: None, tmp_path: Path, page: str) -> None:
    client = TestClient(create_app(_app_settings(tmp_path)))  # type: ignore[arg-type]
    html = client.get(page).text
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from another origin"
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset


@pytest.fixture
def served(clean_env: None, tmp_path: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    app = create_app(_app_settings(tmp_path))  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_swagger_ui_and_redoc_render_the_api_in_a_browser(served: str, tmp_path: Path) -> None:
    swagger = dump_dom(f"{served}/docs", tmp_path / "swagger").stdout
    assert "opblock" in swagger and "/api/v1/ai/complete" in swagger  # operations were rendered
    redoc = dump_dom(f"{served}/redoc", tmp_path / "redoc").stdout
    assert "/api/v1/ai/complete" in redoc and "Tandem" in redoc
