"""`GET /status`: a static page (plain JS, inline SVG charts) polling `/api/v1/ai/status`.

No build step: the page is two files in `app/static/status/`, served as they are.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[2] / "static" / "status"
_ASSETS = {"status.js": "text/javascript", "status.css": "text/css"}

router = APIRouter(tags=["observability"], include_in_schema=False)


@router.get("/status")
def status_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/status/{asset}")
def status_asset(asset: str) -> FileResponse:
    if asset not in _ASSETS:
        raise HTTPException(status_code=404, detail=f"no status asset {asset!r}")
    return FileResponse(STATIC / asset, media_type=_ASSETS[asset])
