"""Shortlist speed over 10,000 jobs and 10,000 candidates.

    cd backend && .venv/bin/python -m benchmarks.bench_shortlist [--rows 10000] [--queries 200]

Reports p50/p99 per shortlist call in two set-ups: `index` builds the pre-database
in-memory index (timed) and calls shortlist_* on it; `database` is what the chain layer
does since issue 12 -- retrieval through SQLite's FTS5 and filter indexes, then local
re-scoring of a few hundred rows (stage_one). See bench_matching_scale for larger sizes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.ai.chains.shortlist import CandidateIndex, JobIndex, shortlist_candidates, shortlist_jobs
from app.ai.chains.stage_one import candidates_for_job, jobs_for_candidate
from app.db import dispose_engines, session_scope, upgrade
from app.demo import ImportFile, generate_candidates, generate_jobs, import_data
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository


def _p50_p99(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def _time_calls(calls: Sequence[Callable[[], Any]]) -> str:
    """Wall-clock and CPU percentiles: CPU time stays meaningful on a busy machine."""
    wall, cpu = [], []
    for call in calls:
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    (w50, w99), (c50, c99) = _p50_p99(wall), _p50_p99(cpu)
    return f"wall p50 {w50:6.2f} ms  p99 {w99:6.2f} ms | cpu p50 {c50:6.2f} ms  p99 {c99:6.2f} ms"


def _timed(label: str, build: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = build()
    print(f"{label:<38} {time.perf_counter() - start:7.2f} s")
    return value


def bench_in_memory(rows: int, queries: int, n: int, seed: int) -> None:
    now = datetime.now(UTC)
    jobs = [JobRead(id=i + 1, created_at=now, **j.model_dump())
            for i, j in enumerate(generate_jobs(rows, seed))]
    people = [CandidateRead(id=i + 1, created_at=now, **c.model_dump())
              for i, c in enumerate(generate_candidates(rows, seed))]
    job_index = _timed(f"build JobIndex ({rows:,} jobs)", lambda: JobIndex.build(jobs))
    people_index = _timed(f"build CandidateIndex ({rows:,})", lambda: CandidateIndex.build(people))
    step = max(1, rows // queries)
    job_calls = [lambda c=c: shortlist_jobs(c, job_index, n) for c in people[::step][:queries]]
    people_calls = [lambda j=j: shortlist_candidates(j, people_index, n) for j in jobs[::step][:queries]]
    print(f"shortlist_jobs       (index, n={n})     {_time_calls(job_calls)}")
    print(f"shortlist_candidates (index, n={n})     {_time_calls(people_calls)}")


def bench_database(rows: int, queries: int, n: int, seed: int) -> None:
    """Stage one as the request path runs it: retrieval in SQLite, local re-scoring."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        data = ImportFile(jobs=generate_jobs(rows, seed), candidates=generate_candidates(rows, seed))
        with session_scope(url) as session:
            _timed(f"insert {rows:,} jobs + {rows:,} candidates", lambda: import_data(session, data))
            people = [CandidateRead.model_validate(c) for c in CandidateRepository(session).all()]
            jobs = [JobRead.model_validate(j) for j in JobRepository(session).all()]
            step = max(1, rows // queries)
            job_calls = [
                lambda c=c: jobs_for_candidate(session, c, n) for c in people[::step][:queries]
            ]
            people_calls = [
                lambda j=j: candidates_for_job(session, j, n) for j in jobs[::step][:queries]
            ]
            print(f"jobs_for_candidate   (database, n={n})  {_time_calls(job_calls)}")
            print(f"candidates_for_job   (database, n={n})  {_time_calls(people_calls)}")
        dispose_engines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000, help="jobs and candidates each")
    parser.add_argument("--queries", type=int, default=200, help="shortlist calls per direction")
    parser.add_argument("--n", type=int, default=10, help="shortlist length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-db", action="store_true", help="only the in-memory set-up")
    args = parser.parse_args()
    bench_in_memory(args.rows, args.queries, args.n, args.seed)
    if not args.skip_db:
        bench_database(args.rows, args.queries, args.n, args.seed)


if __name__ == "__main__":
    main()
