"""`GET /status`: a static page (plain JS, Chartist charts) polling `/api/v1/ai/status`.

No build step: the page is files in `app/static/status/`, served as they are, with
Chartist vendored under `vendor/chartist/` (licence and provenance in its README).

The page and its assets are public: they hold no data. The data comes from
`/api/v1/ai/status`, which needs an admin key; in api-keys mode the page asks for one
(a sign-in form, key kept in the tab's sessionStorage and sent as a header), because a
key in the URL (`http://admin:KEY@host/status`) breaks the page's own requests.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[2] / "static" / "status"
#: Every file the page may load (anything else is a 404, whatever the path says).
_ASSETS = {
    "status.js": "text/javascript",
    "status.css": "text/css",
    "vendor/chartist/chartist.umd.js": "text/javascript",
    "vendor/chartist/chartist.css": "text/css",
    "vendor/chartist/LICENSE-MIT": "text/plain",
    "vendor/chartist/LICENSE-WTFPL": "text/plain",
}

router = APIRouter(tags=["observability"], include_in_schema=False)


@router.get("/status")
def status_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/status/{asset:path}")
def status_asset(asset: str) -> FileResponse:
    if asset not in _ASSETS:
        raise HTTPException(status_code=404, detail=f"no status asset {asset!r}")
    return FileResponse(STATIC / asset, media_type=_ASSETS[asset])
