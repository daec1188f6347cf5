"""`import jobs|candidates FILE`: bulk ingestion from a JSON array or JSON Lines file.

Streams the file (constant memory), validates each record like the HTTP API does,
inserts in batches (PostgreSQL COPY), shows a progress bar on stderr and ends with a
summary of rejected records with their line numbers and reasons. Exit status: 0 when
every record was imported, 1 when some were rejected (or --strict stopped), 2 when the
file cannot be read. The HTTP bulk import (`POST /jobs/import`) stays for small batches.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel
from tqdm import tqdm

from app.cli import command
from app.core.config import Settings
from app.repositories.bulk_import import DEFAULT_BATCH, KINDS, ImportSummary, import_file


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=sorted(KINDS), help="what the file holds")
    parser.add_argument("file", type=Path, help="a JSON array or JSON Lines file")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first rejected record and import nothing")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help=f"rows per insert batch (default {DEFAULT_BATCH})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _resume_check(settings: Settings) -> Callable[[BaseModel], str | None]:
    limit = settings.MAX_RESUME_CHARS

    def check(item: BaseModel) -> str | None:
        length = len(getattr(item, "resume_text", "") or "")
        if length > limit:
            return f"resume_text: {length} characters, more than MAX_RESUME_CHARS={limit}"
        return None

    return check


def report(kind: str, summary: ImportSummary, seconds: float) -> str:
    """The closing summary: counts, rate, and the rejected records with reasons."""
    rate = summary.imported / seconds if seconds > 0 else 0.0
    lines = [f"imported {summary.imported:,} {kind} in {seconds:.1f} s ({rate:,.0f} rows/s); "
             f"rejected {summary.rejected:,}"]
    lines += [f"  {rejected.where}: {rejected.reason}" for rejected in summary.examples]
    if summary.rejected > len(summary.examples):
        lines.append(f"  ... and {summary.rejected - len(summary.examples):,} more")
    if summary.stopped:
        lines.append(f"stopped: {summary.stopped}")
    return "\n".join(lines)


@command("import", "Bulk-import jobs or candidates from a JSON array or JSON Lines file.", _arguments)
def import_rows(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then stream FILE into the jobs or candidates table."""
    from app.db import init_db, session_scope

    if args.batch_size < 1:
        print("--batch-size must be at least 1", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"cannot import {args.file}: no such file", file=sys.stderr)
        return 2
    init_db(settings.DATABASE_URL)
    bar = tqdm(unit=" rows", desc=f"import {args.kind}", disable=args.no_progress,
               file=sys.stderr, mininterval=1.0)
    started = time.perf_counter()
    check = _resume_check(settings) if args.kind == "candidates" else None
    with session_scope(settings.DATABASE_URL) as session:
        summary = import_file(
            session, args.kind, args.file, batch_size=args.batch_size, strict=args.strict,
            check=check, progress=bar.update,
        )
    bar.close()
    print(report(args.kind, summary, time.perf_counter() - started))
    return 0 if not summary.rejected and not summary.stopped else 1
