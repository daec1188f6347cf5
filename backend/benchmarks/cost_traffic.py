"""A day of feature traffic with realistic repetition, and the caches that price it.

Used by `simulate_costs.py`. Everything is stated and seeded:

* Features (share of calls; stable feature prefix = instructions, tool/schema
  definitions; subject block = the data that repeats for one subject; tail = the
  part that changes per call; answer tokens):
  recommendations 35% (500 / 2,200 / 30 / 450), matching 20% (500 / 2,400 / 30 / 500),
  document_qa 30% (300 / 1,800 / 25 / 220), assistant 10% (1,500 tools+system /
  1,200 history / 40 / 250), cover_letters 5% (200 / 1,000 / 20 / 450).
* Subjects per feature are drawn from a Zipf(0.9) popularity over a pool (2,400
  candidates, 1,200 jobs, 1,600 question sets with 3 phrasings each, 6,000
  conversations, 3,200 candidate/job pairs), so popular subjects come back the way
  page reloads, several recruiters on one job and FAQ-style questions do
  (`--repetition high`: Zipf 1.1 over pools a quarter of that size). An exact repeat
  (same feature, subject and inputs) is what the response cache can serve; its share
  is measured and printed.
* Data writes: the job catalogue changes every 2 h, documents every 6 h. Which cached
  answers a write invalidates depends on the key (`--keying` of `ResponseCacheSim`):
  - `tables` (the key before issue 15's last step): the data version of every table
    read, so every write invalidates every entry of the features reading the table;
  - `input` (now: the model's input after stage one): only the entries whose model
    input the write changes, a share per feature (`Feature.invalidated_per_write`).
    Recommendations and matching: measured with the real stage one and key material by
    `benchmarks/measure_input_churn.py` for a write that edits 2 % of the jobs and adds
    1 % new ones (recommendations 36.3 %: a shortlisted job edited, a job entering or
    leaving the shortlist, or the shortlist only reordered by moved rarity weights;
    matching 2.2 %: the subject job itself edited -- a job write changes no candidate).
    Q&A: not measurable on the 12 demo documents, so stated (`QA_INVALIDATED`): a
    document write edits 2 % of the documents and adds 1 %, a question's passages come
    from 3 documents, and 7.5 % of entries reorder anyway (the ranking measurement's
    order-only share): 1 - 0.98^3 x 0.99^3 x 0.925 = 15.5 %.
    Which entries a write invalidates is drawn per subject and write, seeded.

Provider prompt caches, as the providers document them:
* OpenAI (automatic): the longest prefix seen in the last 5 minutes, in 128-token
  steps from 1,024 tokens, is billed at the model's cached-input price.
* Anthropic (explicit, our breakpoints): the feature prefix and the subject prefix are
  marked when they reach the model's minimum (`prompt_caching.minimum_tokens`); a
  prefix seen in the last 5 minutes is read at the cache-read price, else written at
  the cache-write price (125%).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from app.ai.providers.adapters.prompt_caching import minimum_tokens

DAY = 86_400.0
PROMPT_CACHE_TTL = 300.0
OPENAI_MIN, OPENAI_STEP = 1024, 128
#: How the response cache is keyed: by table versions (before) or by the model's input (now).
Keying = Literal["tables", "input"]
#: Stated Q&A churn per document write (see the module docstring): edits, new, documents
#: per retrieved set, order-only share.
QA_EDITED, QA_NEW, QA_DOCUMENTS, QA_REORDERED = 0.02, 0.01, 3, 0.075
QA_INVALIDATED = 1 - (1 - QA_EDITED) ** QA_DOCUMENTS * (1 - QA_NEW) ** QA_DOCUMENTS * (1 - QA_REORDERED)


@dataclass(frozen=True)
class Feature:
    name: str
    share: float
    stable: int
    subject: int
    tail: int
    output: int
    pool: int
    cacheable: bool  # answered from the response cache when repeated
    data_period_h: float | None  # its data is written this often
    invalidated_per_write: float = 1.0  # share of its entries whose model input one write changes


FEATURES = (
    Feature("recommendations", 0.35, 500, 2_200, 30, 450, 2_400, True, 2.0, 0.363),
    Feature("matching", 0.20, 500, 2_400, 30, 500, 1_200, True, 2.0, 0.022),
    Feature("document_qa", 0.30, 300, 1_800, 25, 220, 1_600, True, 6.0, QA_INVALIDATED),
    Feature("assistant", 0.10, 1_500, 1_200, 40, 250, 6_000, False, None),
    Feature("cover_letters", 0.05, 200, 1_000, 20, 450, 3_200, False, None),
)


def _invalidates(feature: str, subject: int, write: int, share: float) -> bool:
    """Whether write number `write` changes this subject's data block (seeded, uniform).

    Per subject, not per phrasing: the phrasings of one question set share their
    passages, as the prompt-cache model assumes (the subject block is shared).
    """
    digest = hashlib.blake2b(f"{feature}:{subject}:{write}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


@dataclass(frozen=True)
class Call:
    second: float
    feature: Feature
    subject: int
    tail_variant: int  # same subject, different tail (another question, another turn)
    rolls: tuple[float, float]

    @property
    def input_tokens(self) -> int:
        return self.feature.stable + self.feature.subject + self.feature.tail

    @property
    def data_version(self) -> int:
        period = self.feature.data_period_h
        return int(self.second // (period * 3600)) if period else 0

    @property
    def input_version(self) -> int:
        """How many of the writes so far changed this entry's model input."""
        f = self.feature
        return sum(_invalidates(f.name, self.subject, write, f.invalidated_per_write)
                   for write in range(1, self.data_version + 1))

    def response_key(self, keying: Keying = "input") -> tuple[str, int, int, int]:
        version = self.data_version if keying == "tables" else self.input_version
        return (self.feature.name, self.subject, self.tail_variant, version)


def _zipf_sampler(rng: random.Random, size: int, exponent: float = 0.9) -> list[float]:
    weights = [1 / (rank ** exponent) for rank in range(1, size + 1)]
    return list(itertools.accumulate(weights))


#: Popularity presets: (Zipf exponent, pool divisor). "moderate" is the default above;
#: "high" is a small, very popular catalogue (Zipf 1.1, pools a quarter of the size).
REPETITION = {"moderate": (0.9, 1), "high": (1.1, 4)}


def make_traffic(calls: int, seed: int, repetition: str = "moderate",
                 invalidated: Mapping[str, float] | None = None) -> list[Call]:
    """The day's calls; `invalidated` overrides `Feature.invalidated_per_write` by name
    (for sensitivity runs: `simulate_costs.py --invalidated recommendations=0.6`)."""
    overrides = dict(invalidated or {})
    unknown = set(overrides) - {f.name for f in FEATURES}
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    features = tuple(replace(f, invalidated_per_write=overrides.get(f.name, f.invalidated_per_write))
                     for f in FEATURES)
    rng = random.Random(seed)
    exponent, divisor = REPETITION[repetition]
    cumulative = {f.name: _zipf_sampler(rng, max(f.pool // divisor, 1), exponent) for f in features}
    shares = list(itertools.accumulate(f.share for f in features))
    traffic = []
    for _ in range(calls):
        feature = features[min(bisect.bisect(shares, rng.random() * shares[-1]), len(features) - 1)]
        weights = cumulative[feature.name]
        subject = bisect.bisect(weights, rng.random() * weights[-1])
        # Rankings repeat exactly (same subject and limit); Q&A asks one of a few phrasings
        # per question set; assistant turns and letters always differ in their tail.
        variant = {"recommendations": 0, "matching": 0, "document_qa": rng.randrange(3)}.get(
            feature.name, rng.randrange(1_000_000))
        traffic.append(Call(rng.uniform(0, DAY), feature, subject, variant, (rng.random(), rng.random())))
    return sorted(traffic, key=lambda c: c.second)


class PromptCacheSim:
    """Last-seen times of prefixes per provider; answers cached/written tokens per call."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, tuple[object, ...]], float] = {}

    def _hit(self, key: tuple[str, str, tuple[object, ...]], now: float) -> bool:
        seen = self._seen.get(key)
        self._seen[key] = now  # a hit refreshes the TTL; a miss writes
        return seen is not None and now - seen <= PROMPT_CACHE_TTL

    def usage(self, provider: str, model: str, call: Call) -> dict[str, object]:
        """LangChain-shaped `usage_metadata` with `input_token_details` for this call."""
        f = call.feature
        # The subject block (profile + shortlist, or passages) changes only when the model input does.
        levels = [(f.stable, (f.name,)), (f.stable + f.subject, (f.name, call.subject, call.input_version))]
        read = write = 0
        if provider == "openai":
            for size, key in levels:
                if self._hit((provider, model, key), call.second) and size >= OPENAI_MIN:
                    read = max(read, OPENAI_MIN + (size - OPENAI_MIN) // OPENAI_STEP * OPENAI_STEP)
        else:
            minimum = minimum_tokens(model)
            marked = [(size, key) for size, key in levels if size >= minimum]
            for size, key in marked:
                if self._hit((provider, model, key), call.second):
                    read = max(read, size)
            if marked:
                write = max(marked[-1][0] - read, 0)
        return {
            "input_tokens": call.input_tokens, "output_tokens": f.output,
            "input_token_details": {"cache_read": read, "cache_creation": write},
        }


class ResponseCacheSim:
    """Exact-match answers kept for `ttl` seconds, keyed by table versions or model input."""

    def __init__(self, ttl: float = 3600.0, keying: Keying = "input") -> None:
        self.ttl = ttl
        self.keying: Keying = keying
        self._stored: dict[tuple[object, ...], float] = {}

    def hit(self, call: Call, model_key: tuple[str, ...]) -> bool:
        if not call.feature.cacheable:
            return False
        stored = self._stored.get((*call.response_key(self.keying), *model_key))
        return stored is not None and call.second - stored <= self.ttl

    def store(self, call: Call, model_key: tuple[str, ...]) -> None:
        if call.feature.cacheable:
            self._stored[(*call.response_key(self.keying), *model_key)] = call.second
