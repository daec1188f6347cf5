"""Announcing the authentication mode at start-up.

Running without authentication must never go unnoticed: `AUTH_MODE=local-dev` logs a
warning and prints a banner on stderr every time an app is built with it.
"""

from __future__ import annotations

import logging
import sys

from app.core.config import Settings

logger = logging.getLogger("app.security")

LOCAL_DEV_BANNER = """
************************************************************************
*  AUTH_MODE=local-dev: AUTHENTICATION IS OFF.                          *
*  Every caller is treated as an admin; no API key, no rate limits.     *
*  For a developer's machine only. Never expose this server to others.  *
************************************************************************
"""


def announce_auth_mode(settings: Settings) -> None:
    """Warn loudly when authentication is off; note it quietly when it is on."""
    if settings.AUTH_MODE == "local-dev":
        logger.warning("AUTH_MODE=local-dev: authentication and per-client limits are OFF")
        print(LOCAL_DEV_BANNER, file=sys.stderr, flush=True)
    else:
        logger.info("AUTH_MODE=%s: API keys required on /api/v1, admin scope on /metrics and /status",
                    settings.AUTH_MODE)
