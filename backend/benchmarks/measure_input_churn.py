"""How many response-cache entries one catalogue write actually invalidates.

    cd backend && .venv/bin/python -m benchmarks.measure_input_churn [--writes 3] [--edited 0.02] [--new 0.01]

Why: the response cache is keyed by the model's input after stage one
(`app/ai/cache/model_answers.py`), so the share of recommendation and matching entries
a write invalidates depends on how many shortlists the write reaches -- including
shortlists that only reorder because rarity weights moved. That share is measured here
with the real stage one and the real key material, not guessed, and
`benchmarks/cost_traffic.py` uses it.

Set-up: a SQLite catalogue of generated jobs and candidates (`app.demo`, the pool sizes
of `cost_traffic.py`: 1,200 jobs, 2,400 candidates). For `--sample` candidates
(recommendations) and `--sample` jobs (matching), the model-input digest
(`model_input_digest(ranking_messages(...), schema)`, limit 5) is computed before and
after each write. A write edits `--edited` of the jobs (salary range +5 % and one more
line of description -- the salary is in every job's prompt block, so an edited job in
a shortlist always changes it) and adds `--new` generated jobs. Printed per write: the
share of entries whose digest changed, by cause.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ai.cache.model_answers import model_input_digest
from app.ai.chains.candidate_matching_chain import CandidateMatchingChain
from app.ai.chains.ranking import RankingChain, RankingInput, ranking_messages
from app.ai.chains.recommendation_chain import RecommendationChain
from app.core.config import load_settings
from app.db import dispose_engines, session_scope, upgrade
from app.demo import ImportFile, generate_candidates, generate_jobs, import_data
from app.repositories import JobRepository

LIMIT = 5

#: A subject's entry as the cache sees it: (digest, shortlist ids in prompt order).
Entry = tuple[str, tuple[int, ...]]


def entry_of(chain: RankingChain[Any], subject_id: int) -> Entry:
    prepared: RankingInput[Any] = chain.prepare(subject_id, LIMIT)
    messages = ranking_messages(chain.instructions, prepared.subject, prepared.shortlist, LIMIT)
    return model_input_digest(messages, prepared.schema), tuple(e.id for e in prepared.shortlist)


def snapshot(chain: RankingChain[Any], ids: list[int]) -> dict[int, Entry]:
    return {i: entry_of(chain, i) for i in ids}


def cause(before: Entry, after: Entry, subject_edited: bool) -> str | None:
    """Why an entry missed after a write (None: it still hits)."""
    if before[0] == after[0]:
        return None
    if subject_edited:
        return "subject edited"
    if set(before[1]) != set(after[1]):
        return "shortlist membership"
    if before[1] != after[1]:
        return "shortlist order only"
    return "shortlisted row edited"


def write(session: Any, rng: random.Random, job_ids: list[int], edited: float, new: float,
          seed: int) -> set[int]:
    """One catalogue write through the repositories; the ids of the edited jobs."""
    repository = JobRepository(session)
    touched = set(rng.sample(job_ids, max(1, round(len(job_ids) * edited))))
    for job_id in sorted(touched):
        job = repository.require(job_id)
        repository.update(job_id, {
            "salary_min": int((job.salary_min or 50_000) * 1.05),
            "salary_max": int((job.salary_max or 60_000) * 1.05),
            "description": job.description + "\nUpdated: the team has grown this quarter.",
        })
    added = repository.create_many(generate_jobs(max(1, round(len(job_ids) * new)), seed))
    job_ids.extend(added)
    return touched


def measure(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'churn.db'}"
        upgrade(url)
        settings = load_settings(_env_file=None, DATABASE_URL=url)
        data = ImportFile(jobs=generate_jobs(args.jobs, args.seed),
                          candidates=generate_candidates(args.candidates, args.seed))
        with session_scope(url) as session:
            import_data(session, data)
            job_ids = sorted(int(j.id or 0) for j in JobRepository(session).all())
            people = rng.sample(range(1, args.candidates + 1), args.sample)
            jobs = rng.sample(job_ids, args.sample)
            features: dict[str, tuple[RankingChain[Any], list[int]]] = {
                "recommendations": (RecommendationChain(session, settings), people),
                "matching": (CandidateMatchingChain(session, settings), jobs),
            }
            entries = {name: snapshot(chain, ids) for name, (chain, ids) in features.items()}
            print(f"{args.jobs:,} jobs, {args.candidates:,} candidates; {args.sample} entries per feature; "
                  f"each write edits {args.edited:.1%} of the jobs and adds {args.new:.1%} new ones")
            shares: dict[str, list[float]] = {name: [] for name in features}
            for number in range(1, args.writes + 1):
                touched = write(session, rng, job_ids, args.edited, args.new, args.seed + number)
                for name, (chain, ids) in features.items():
                    after = snapshot(chain, ids)
                    causes = [cause(entries[name][i], after[i], name == "matching" and i in touched)
                              for i in ids]
                    missed = [c for c in causes if c is not None]
                    shares[name].append(len(missed) / len(ids))
                    by_cause = ", ".join(f"{c} {missed.count(c) / len(ids):.1%}"
                                         for c in sorted(set(missed)))
                    print(f"write {number}: {name:<16} invalidated {len(missed) / len(ids):6.1%}"
                          f"  ({by_cause or 'none'})")
                    entries[name] = after
            for name, values in shares.items():
                print(f"mean over {args.writes} writes: {name:<16} {sum(values) / len(values):.1%}")
        dispose_engines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1_200)
    parser.add_argument("--candidates", type=int, default=2_400)
    parser.add_argument("--sample", type=int, default=300, help="entries measured per feature")
    parser.add_argument("--writes", type=int, default=3)
    parser.add_argument("--edited", type=float, default=0.02, help="share of jobs one write edits")
    parser.add_argument("--new", type=float, default=0.01, help="new jobs per write, share of the catalogue")
    parser.add_argument("--seed", type=int, default=7)
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
