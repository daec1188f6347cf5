"""Which generated jobs fit which generated candidates, by construction, and the metrics.

The generator draws every record from a role's skill pools, a level, a place and a
salary band (`JobFacts`, `CandidateFacts`), so fit is known without asking a model:

- grade 0: another role (other skills), a place the candidate cannot work in (on-site
  elsewhere, or on-site for a remote-only candidate), or levels more than one apart;
- otherwise 1, plus 1 for the same level, plus 1 when the pay meets the candidate's
  minimum (no minimum, or same currency and top of range at least the minimum).

Grade 3 is a *good fit*: what recall@50 looks for. nDCG@10 uses gains 2^grade - 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.demo.generator import CandidateFacts, JobFacts

GOOD_FIT = 3


def grade(job: JobFacts, person: CandidateFacts) -> int:
    """0..3: how well `job` fits `person` by construction (see the module docstring)."""
    if job.role != person.role or abs(job.level - person.level) > 1:
        return 0
    if not job.remote and (person.remote_only or job.city not in person.cities):
        return 0
    pays = person.min_salary is None or (
        job.currency == person.currency and job.offer >= person.min_salary
    )
    return 1 + (job.level == person.level) + pays


def ndcg_at(k: int, ranked: Sequence[int], grades: Sequence[int]) -> float:
    """nDCG@k of `ranked` (grades of the returned items, in order) against all `grades`."""
    def dcg(values: Sequence[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(values[:k]))

    ideal = dcg(sorted(grades, reverse=True))
    return dcg(list(ranked)) / ideal if ideal > 0 else 0.0


def recall_at(k: int, ranked: Sequence[int], good: int) -> float | None:
    """Share of the good fits found in the top k, out of at most k (None: no good fit)."""
    if good == 0:
        return None
    return sum(1 for g in ranked[:k] if g >= GOOD_FIT) / min(k, good)
