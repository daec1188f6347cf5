"""Matching at catalogue scale: bulk import, then stage one through the chain layer.

    cd backend && .venv/bin/python -m benchmarks.bench_matching_scale --rows 10000,100000 \\
        --db sqlite|postgresql [--candidates N] [--queries 200] [--pg-url URL] [--keep DIR]

Per size, on a fresh database (a temp SQLite file, or a PostgreSQL schema dropped after):
1. writes `--rows` generated jobs and `--candidates` candidates (default: as many, at
   most 100,000) as JSON Lines and imports them with `python -m app.cli import` (timed);
2. starts a fresh worker process that, through `RecommendationChain.prepare` /
   `CandidateMatchingChain.prepare` (stage one as a request runs it: read the subject,
   retrieve in the database, re-score, build the schema), measures the first request
   after the import, p50/p99 over `--queries` requests per direction, how long a newly
   written job / candidate takes to be recommended (write-to-visible), and its own peak
   RSS;
3. with `--baseline`, a second fresh worker times the pre-issue-12 way on the same data:
   reading every job into the in-memory index (what the first request after any write
   paid) and shortlisting against it, and reports its peak RSS.
The import time is the one the command reports (without its interpreter start-up).
`--keep DIR` (SQLite) keeps each imported file and, when it is already there, migrates
it to head and skips step 1: a 100k import once, then as many timing runs as needed
(each run adds the two write-to-visible rows to the kept file).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.demo.generator import iter_candidates, iter_jobs

BACKEND = Path(__file__).resolve().parents[1]
MAX_CANDIDATES = 100_000


def _write_jsonl(path: Path, records: Any) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record, _ in records:
            out.write(record.model_dump_json() + "\n")


def _import(url: str, kind: str, path: Path) -> float:
    """Seconds the import itself took, as the command reports it (its interpreter
    start-up and migration check are left out: on a loaded host they dwarf small files)."""
    output = subprocess.run(
        [sys.executable, "-m", "app.cli", "import", kind, str(path), "--no-progress"],
        cwd=BACKEND, env=os.environ | {"DATABASE_URL": url}, check=True,
        capture_output=True, text=True,
    ).stdout
    found = re.search(r"imported [\d,]+ \w+ in ([\d.]+) s", output)
    if found is None:
        raise RuntimeError(f"unexpected import output: {output!r}")
    return float(found.group(1))


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
    }


def worker(url: str, queries: int) -> dict[str, Any]:
    """Runs in its own process: first request, p50/p99, write-to-visible, peak RSS."""
    from app.ai.chains.candidate_matching_chain import CandidateMatchingChain
    from app.ai.chains.recommendation_chain import RecommendationChain
    from app.core.config import load_settings
    from app.db import session_scope
    from app.models import Candidate, CandidateCreate, Job, JobCreate, Seniority
    from app.repositories import CandidateRepository, JobRepository

    settings = load_settings(DATABASE_URL=url)
    result: dict[str, Any] = {}
    with session_scope(url) as session:
        top_job = int(session.execute(sa.select(sa.func.max(Job.id))).scalar_one())
        top_person = int(session.execute(sa.select(sa.func.max(Candidate.id))).scalar_one())
        recommend = RecommendationChain(session, settings)
        match = CandidateMatchingChain(session, settings)

        def timed(call: Callable[[], Any]) -> tuple[float, Any]:
            started = time.perf_counter()
            value = call()
            return (time.perf_counter() - started) * 1000, value

        result["first_request_ms"] = round(timed(lambda: recommend.prepare(1, 5))[0], 1)
        people = [1 + (i * 7919) % top_person for i in range(queries)]
        roles = [1 + (i * 7919) % top_job for i in range(queries)]
        result["recommendations_ms"] = _percentiles(
            [timed(partial(recommend.prepare, p, 5))[0] for p in people])
        result["matches_ms"] = _percentiles([timed(partial(match.prepare, j, 5))[0] for j in roles])

        person = CandidateRepository(session).require(people[0])
        place = person.desired_locations[0] if person.desired_locations else None
        posted = JobRepository(session).create(JobCreate(
            title=f"Dream role for {person.name}", company="Bench", location=place,
            remote=person.remote_only, salary_min=None, salary_max=person.min_salary,
            currency=person.currency, required_skills=person.skills,
            description=person.headline, seniority=person.desired_seniority or Seniority.mid,
        ))
        started = time.perf_counter()
        while posted.id not in [e.id for e in recommend.prepare(people[0], 5).shortlist]:
            if time.perf_counter() - started > 30:
                break
        result["job_write_to_visible_ms"] = round((time.perf_counter() - started) * 1000, 1)

        role = JobRepository(session).require(roles[0])
        newcomer = CandidateRepository(session).create(CandidateCreate(
            name="Bench Newcomer", headline=role.title, skills=role.required_skills,
            years_experience=6, desired_locations=[role.location] if role.location else [],
            min_salary=None, currency=role.currency, desired_seniority=role.seniority,
        ))
        started = time.perf_counter()
        while newcomer.id not in [e.id for e in match.prepare(roles[0], 5).shortlist]:
            if time.perf_counter() - started > 30:
                break
        result["candidate_write_to_visible_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if session.get_bind().dialect.name == "postgresql":  # what the latency depends on most
            result["shared_buffers"] = session.execute(sa.text("SHOW shared_buffers")).scalar_one()
    result["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def memory_worker(url: str, queries: int) -> dict[str, Any]:
    """The pre-issue-12 stage one, for comparison in the same run: every row read into an
    in-memory index (what the first request after an import, or after any write, paid),
    then shortlists against it."""
    from app.ai.chains.shortlist import JobIndex, shortlist_jobs
    from app.db import session_scope
    from app.models import CandidateRead, JobRead
    from app.repositories import CandidateRepository, JobRepository

    result: dict[str, Any] = {}
    with session_scope(url) as session:
        started = time.perf_counter()
        index = JobIndex.build([JobRead.model_validate(j) for j in JobRepository(session).all()])
        result["memory_index_build_ms"] = round((time.perf_counter() - started) * 1000, 1)
        top = CandidateRepository(session).count()
        people = [CandidateRead.model_validate(CandidateRepository(session).require(1 + (i * 7919) % top))
                  for i in range(queries)]
    samples = []
    for person in people:
        started = time.perf_counter()
        shortlist_jobs(person, index, 10)
        samples.append((time.perf_counter() - started) * 1000)
    result["memory_recommendations_ms"] = _percentiles(samples)
    result["memory_worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def _run_worker(flag: str, url: str, queries: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_matching_scale", flag, url, "--queries", str(queries)],
        cwd=BACKEND, check=True, capture_output=True, text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _database(db: str, pg_url: str, folder: Path, rows: int) -> tuple[str, Callable[[], None]]:
    if db == "sqlite":
        path = folder / f"scale_{rows}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    schema = f"bench_scale_{rows}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def _reused(keep: Path, rows: int, queries: int, baseline: bool) -> dict[str, Any]:
    """`--keep`: the SQLite file of an earlier run (imported once, kept), or None."""
    path = keep / f"scale_{rows}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        return {}
    from app.db import upgrade

    upgrade(url)  # a kept file from before a new migration is migrated in place
    report: dict[str, Any] = {"db": "sqlite", "jobs": rows, "reused": str(path)}
    report |= _run_worker("--worker", url, queries)
    if baseline:
        report |= _run_worker("--memory-worker", url, queries)
    return report


def _keep_file() -> None:
    """`--keep`: the imported file stays for the next run."""


def bench(
    db: str, pg_url: str, rows: int, candidates: int, queries: int, baseline: bool,
    keep: Path | None = None,
) -> dict[str, Any]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        if reused := _reused(keep, rows, queries, baseline):
            return reused
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        jobs_file, people_file = folder / "jobs.jsonl", folder / "candidates.jsonl"
        _write_jsonl(jobs_file, iter_jobs(rows, seed=5))
        _write_jsonl(people_file, iter_candidates(candidates, seed=5))
        url, drop = _database(db, pg_url, keep or folder, rows)
        if keep is not None:
            drop = _keep_file
        try:
            report: dict[str, Any] = {"db": db, "jobs": rows, "candidates": candidates}
            report["import_jobs_s"] = round(_import(url, "jobs", jobs_file), 1)
            report["import_candidates_s"] = round(_import(url, "candidates", people_file), 1)
            report |= _run_worker("--worker", url, queries)
            if baseline:
                report |= _run_worker("--memory-worker", url, queries)
            return report
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", default="10000,100000", help="comma-separated job counts")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=0,
                        help=f"candidates per size (default: as many as jobs, at most {MAX_CANDIDATES:,})")
    parser.add_argument("--queries", type=int, default=200, help="requests per direction")
    parser.add_argument("--pg-url", default=os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--baseline", action="store_true",
                        help="also time the pre-issue-12 in-memory index in its own worker")
    parser.add_argument("--keep", type=Path, default=None,
                        help="SQLite only: keep each imported database in this folder and "
                             "reuse it (no import) when it is already there")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.queries)))
        return
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker, args.queries)))
        return
    for rows in (int(value) for value in args.rows.split(",")):
        candidates = args.candidates or min(rows, MAX_CANDIDATES)
        if args.keep is not None and args.db != "sqlite":
            parser.error("--keep is for --db sqlite")
        report = bench(args.db, args.pg_url, rows, candidates, args.queries, args.baseline, args.keep)
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
