"""/docs and /redoc work with no internet: their scripts come from the service itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import load_settings
from app.main import create_app
from tests.support.browser import dump_dom
from tests.support.serving import serving

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
    with serving(create_app(_app_settings(tmp_path))) as base_url:  # type: ignore[arg-type]
        yield base_url


def test_swagger_ui_and_redoc_render_the_api_in_a_browser(served: str, tmp_path: Path) -> None:
    swagger = dump_dom(f"{served}/docs", tmp_path / "swagger").stdout
    assert "opblock" in swagger and "/api/v1/ai/complete" in swagger  # operations were rendered
    redoc = dump_dom(f"{served}/redoc", tmp_path / "redoc").stdout
    assert "/api/v1/ai/complete" in redoc and "Tandem" in redoc
