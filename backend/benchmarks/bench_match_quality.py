"""Quality of the shortlist against the generator's ground truth: before and after issue 12.

    cd backend && .venv/bin/python -m benchmarks.bench_match_quality [--rows 10000] [--subjects 200]
        [--db sqlite|postgresql] [--pg-url URL]

Generates `--rows` jobs and as many candidates with their facts, loads them into a fresh
database, and for `--subjects` candidates (and as many jobs) compares, on the same data:
`memory` -- the pre-issue-12 shortlist over an in-memory index of the whole catalogue --
and `database` -- stage one as the request path runs it now (retrieval in the database,
local re-scoring). Reports nDCG@10 and recall@50 (app/demo/ground_truth.py) per direction.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa

from app.ai.chains.shortlist import CandidateIndex, JobIndex, shortlist_candidates, shortlist_jobs
from app.ai.chains.stage_one import candidates_for_job, jobs_for_candidate
from app.db import dispose_engines, session_scope, upgrade
from app.demo.generator import CandidateFacts, JobFacts, iter_candidates, iter_jobs
from app.demo.ground_truth import GOOD_FIT, grade, ndcg_at, recall_at
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository

TOP = 50


def _metrics(rankings: Sequence[list[int]], all_grades: Sequence[list[int]]) -> str:
    ndcg = statistics.fmean(ndcg_at(10, r, g) for r, g in zip(rankings, all_grades, strict=True))
    recalls = [
        recall_at(TOP, r, sum(1 for x in g if x >= GOOD_FIT))
        for r, g in zip(rankings, all_grades, strict=True)
    ]
    found = [value for value in recalls if value is not None]
    return f"nDCG@10 {ndcg:.3f}   recall@50 {statistics.fmean(found) if found else 0.0:.3f}"


def _pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    schema = f"bench_quality_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def run(url: str, rows: int, subjects: int, seed: int) -> None:
    upgrade(url)
    jobs_with_facts = list(iter_jobs(rows, seed))
    people_with_facts = list(iter_candidates(rows, seed))
    job_facts: list[JobFacts] = [facts for _, facts in jobs_with_facts]
    people_facts: list[CandidateFacts] = [facts for _, facts in people_with_facts]
    with session_scope(url) as session:
        for start in range(0, rows, 5_000):
            JobRepository(session).create_many([j for j, _ in jobs_with_facts[start:start + 5_000]])
            CandidateRepository(session).create_many([c for c, _ in people_with_facts[start:start + 5_000]])
        jobs = [JobRead.model_validate(j) for j in JobRepository(session).all()]
        people = [CandidateRead.model_validate(c) for c in CandidateRepository(session).all()]
        job_index, people_index = JobIndex.build(jobs), CandidateIndex.build(people)
        step = max(1, rows // subjects)
        sample_people = list(range(0, rows, step))[:subjects]
        sample_jobs = list(range(0, rows, step))[:subjects]

        print(f"{rows:,} jobs and {rows:,} candidates, {len(sample_people)} subjects per direction")
        grades = [[grade(job, people_facts[p]) for job in job_facts] for p in sample_people]

        def job_grades(p: int, ids: list[int]) -> list[int]:
            return [grade(job_facts[i - 1], people_facts[p]) for i in ids]

        memory = [job_grades(p, [r.job.id for r in shortlist_jobs(people[p], job_index, TOP)])
                  for p in sample_people]
        database = [job_grades(p, [r.job.id for r in jobs_for_candidate(session, people[p], TOP)])
                    for p in sample_people]
        print(f"  jobs for a candidate   memory   {_metrics(memory, grades)}")
        print(f"  jobs for a candidate   database {_metrics(database, grades)}")

        grades = [[grade(job_facts[j], person) for person in people_facts] for j in sample_jobs]

        def people_grades(j: int, ids: list[int]) -> list[int]:
            return [grade(job_facts[j], people_facts[i - 1]) for i in ids]

        memory = [people_grades(j, [r.candidate.id for r in shortlist_candidates(jobs[j], people_index, TOP)])
                  for j in sample_jobs]
        database = [people_grades(j, [r.candidate.id for r in candidates_for_job(session, jobs[j], TOP)])
                    for j in sample_jobs]
        print(f"  candidates for a job   memory   {_metrics(memory, grades)}")
        print(f"  candidates for a job   database {_metrics(database, grades)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000, help="jobs and candidates each")
    parser.add_argument("--subjects", type=int, default=200, help="queries per direction")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'quality.db'}", args.rows, args.subjects, args.seed)
            dispose_engines()
        return
    url, drop = _pg_schema(args.pg_url)
    try:
        run(url, args.rows, args.subjects, args.seed)
    finally:
        drop()


if __name__ == "__main__":
    main()
