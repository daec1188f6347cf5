"""`usage`: spend by provider, feature and day, read from the usage ledger.

Aggregation happens in Python over the selected window (`--days`): the ledger's
columns are portable across SQLite and PostgreSQL that way, and a CLI report over a
month of rows is small work.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from app.cli import command
from app.commands.tables import format_table
from app.core.config import Settings
from app.db.engine import get_engine
from app.models.usage import UsageRecord

GROUPINGS = ("provider", "feature", "day")


def _key(row: UsageRecord, grouping: str) -> str:
    if grouping == "day":
        return row.created_at.astimezone(UTC).date().isoformat()
    value = getattr(row, grouping)
    return str(value) if value else "(none)"


COLUMNS = (
    "calls", "failed", "failed_attempts", "failovers", "cache_hits", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "cost_usd",
)


def summarise(rows: Iterable[UsageRecord]) -> dict[str, list[dict[str, Any]]]:
    """{grouping: [{key, calls, failed, failed_attempts, failovers, cache_hits, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, cost_usd}]}.

    `failed` counts calls that got no answer; `failed_attempts` counts attempts of the
    provider (feature, day) that failed, including those another provider rescued;
    `cache_hits` are answers served by the response cache (outcome `cached`, no call).
    """
    totals: dict[str, dict[str, dict[str, Any]]] = {
        g: defaultdict(lambda: dict.fromkeys(COLUMNS, 0)) for g in GROUPINGS
    }
    for row in rows:
        for grouping in GROUPINGS:
            entry = totals[grouping][_key(row, grouping)]
            if row.is_failed_attempt:
                entry["failed_attempts"] += 1
                continue
            entry["calls"] += 1
            entry["failed"] += int(row.outcome not in ("ok", "cached"))
            entry["failovers"] += int(row.failover)
            entry["cache_hits"] += int(row.outcome == "cached")
            entry["input_tokens"] += row.input_tokens
            entry["output_tokens"] += row.output_tokens
            entry["cache_read_tokens"] += row.cache_read_tokens
            entry["cache_write_tokens"] += row.cache_write_tokens
            entry["cost_usd"] += row.cost_usd
    return {
        grouping: [
            {grouping: key, **{**figures, "cost_usd": round(figures["cost_usd"], 6)}}
            for key, figures in sorted(groups.items())
        ]
        for grouping, groups in totals.items()
    }


def load_rows(database_url: str, days: int, now: datetime | None = None) -> list[UsageRecord]:
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    with Session(get_engine(database_url)) as session:
        query = select(UsageRecord).where(UsageRecord.created_at >= since)
        return list(session.exec(query))


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


@command("usage", "AI spend by provider, feature and day, from the usage ledger", _arguments)
def usage(args: argparse.Namespace, settings: Settings) -> int:
    if args.days < 1:
        print("--days must be 1 or more", file=sys.stderr)
        return 2
    report = summarise(load_rows(settings.DATABASE_URL, args.days))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    total = sum(entry["cost_usd"] for entry in report["provider"])
    print(f"AI usage over the last {args.days} days: {total:.6f} USD")
    for grouping in GROUPINGS:
        print(f"\nBy {grouping}:")
        columns = [grouping, *COLUMNS]
        print(format_table(columns, [[e[c] for c in columns] for e in report[grouping]]))
    return 0
