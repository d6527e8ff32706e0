"""Answer quality on public intent data (CLINC150 Full, BANKING77), our matcher beside plain baselines.

    python bench/quality.py            # the full run (several minutes on 2 cores; difflib is the slow part)
    python bench/quality.py --quick    # stratified subsample of the questions, about a minute
    python bench/quality.py --smoke    # 5 intents, a few questions: seconds (what the test suite runs)

Framing (as in ../shared/matching/baselines.md): each intent is a knowledge entry, its training utterances are
the entry's phrasings, each test utterance is a member's question. Two regimes: all training phrasings, and a
seeded random 5 per intent (closer to a curated FAQ). CLINC150 thresholds are chosen on the validation split
only (in-scope and out-of-scope questions), then applied once to the test split:

* t_lo, the "sum rule": maximise in-scope accuracy + out-of-scope recall on val; below it the bot falls back.
* t_hi: the lowest val threshold whose auto-answer precision is >= 95 %, with the val out-of-scope questions
  weighted up to the test split's out-of-scope share; at or above it the bot answers outright, between t_lo
  and t_hi it asks "did you mean" (the three-zone policy of baselines.md section 4.4).

Our matcher is driven only through its public API: `Matcher(items, thresholds=...)`, `prepare`, `scores`,
`match` and `ids`. Its own knowledge-base thresholds are not touched: the benchmark builds its own matchers.
Baselines in the same run: rapidfuzz `process.extractOne` with `fuzz.WRatio` over all phrasings, and difflib
`SequenceMatcher` 1-nearest-neighbour on a fixed stratified subsample (it costs ~0.5 s per question).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import multiprocessing as mp
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from benchlib import DATA, Goal, clean_floats, fmt, goals_block, machine, machine_line, pct, percentile_ms, table
from benchlib import write_json as write_json_file
from rapidfuzz import fuzz, process, utils

from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK, Item, Matcher, Thresholds

OOS = "oos"
TARGET_PRECISION = 0.95

# Reference figures measured on the same data on a 2-core machine (../shared/matching/baselines.md, sections 4,
# 4.3, 4.4, 4.5) and the paper's BERT (Larson et al. 2019, Table 2, oos-threshold, Full). Not re-run here: they
# need scikit-learn, torch and model weights, which the bot does not use.
REFERENCES = {
    "clinc150/all": [
        {
            "method": "ref: TF-IDF char 3-5 entry centroid",
            "top1": 82.8,
            "top3": 94.2,
            "acc": 71.6,
            "oos_recall": 88.2,
            "precision": 86.3,
            "p50_ms": 0.84,
        },
        {
            "method": "ref: all-MiniLM-L6-v2 1-NN (embeddings)",
            "top1": 88.0,
            "top3": 96.9,
            "acc": 79.6,
            "oos_recall": 93.4,
            "precision": 89.8,
            "p50_ms": 6.95,
        },
        {"method": "ref: BERT fine-tuned (paper, trained)", "acc": 96.2, "oos_recall": 52.3},
    ],
    "clinc150/5": [
        {
            "method": "ref: TF-IDF char 3-5 entry centroid",
            "top1": 70.8,
            "acc": 59.3,
            "oos_recall": 83.9,
            "p50_ms": 0.63,
        },
        {
            "method": "ref: all-MiniLM-L6-v2 1-NN (embeddings)",
            "top1": 80.3,
            "acc": 73.3,
            "oos_recall": 85.8,
            "p50_ms": 6.26,
        },
    ],
    "banking77/all": [
        {"method": "ref: TF-IDF char 3-5 entry centroid", "top1": 79.4, "top3": 93.0, "p50_ms": 0.81},
        {"method": "ref: all-MiniLM-L6-v2 1-NN (embeddings)", "top1": 92.0, "top3": 98.2, "p50_ms": 7.32},
    ],
}
# baselines.md 4.4, three-zone policy, all-MiniLM-L6-v2 1-NN (shares of in-scope / out-of-scope test questions)
ZONE_COLUMNS = (
    "auto_right",
    "auto_wrong",
    "clarify",
    "clarify_right",
    "fallback",
    "oos_answered",
    "oos_clarify",
    "oos_fallback",
    "auto_precision",
)
REFERENCE_ZONES = {
    "clinc150/all": {
        "method": "ref: all-MiniLM-L6-v2 1-NN",
        "auto_right": 69.6,
        "auto_wrong": 4.2,
        "clarify": 13.3,
        "clarify_right": 12.5,
        "fallback": 12.9,
        "oos_answered": 2.2,
        "oos_clarify": 4.4,
        "oos_fallback": 93.4,
        "auto_precision": 93.7,
    },
    "clinc150/5": {
        "method": "ref: all-MiniLM-L6-v2 1-NN",
        "auto_right": 29.3,
        "auto_wrong": 1.2,
        "clarify": 57.1,
        "clarify_right": 53.8,
        "fallback": 12.4,
        "oos_answered": 0.1,
        "oos_clarify": 14.1,
        "oos_fallback": 85.8,
        "auto_precision": 95.9,
    },
}
GOALS = {"clinc150/all": (0.90, 0.90), "clinc150/5": (0.75, 0.85)}  # in-scope accuracy, OOS recall
MAX_INDEX_SECONDS = 1.0


# --- data -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    texts: tuple[str, ...]
    gold: tuple[str, ...]  # an intent, or OOS

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Dataset:
    key: str  # clinc150 | banking77
    title: str
    intents: tuple[str, ...]  # sorted
    train: dict[str, tuple[str, ...]]
    val: Split | None
    test: Split


def _split(pairs: Sequence[Sequence[str]]) -> Split:
    return Split(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def load_clinc(folder: Path = DATA / "clinc150") -> Dataset:
    data = json.loads((folder / "data_full.json").read_text(encoding="utf-8"))
    train = _by_intent(data["train"])
    # `oos_train` is deliberately unused: an FAQ knowledge base has no "out-of-scope entry".
    return Dataset(
        "clinc150",
        "CLINC150 Full",
        tuple(sorted(train)),
        train,
        _split(data["val"] + data["oos_val"]),
        _split(data["test"] + data["oos_test"]),
    )


def _by_intent(pairs) -> dict[str, tuple[str, ...]]:
    """(utterance, intent) pairs -> the utterances of each intent, in file order."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, intent in pairs:
        grouped[intent].append(text)
    return {k: tuple(v) for k, v in grouped.items()}


def _read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


def load_banking(folder: Path = DATA / "banking77") -> Dataset:
    train = _by_intent(_read_csv(folder / "train.csv"))
    return Dataset(
        "banking77",
        "BANKING77",
        tuple(sorted(train)),
        train,
        None,
        _split(_read_csv(folder / "test.csv")),
    )


def stratified(split: Split, per_intent: int | None, n_oos: int | None, seed: int, keep=None) -> Split:
    """A fixed subsample: up to `per_intent` questions of each intent and `n_oos` out-of-scope ones (seeded)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(split.gold):
        if keep is None or g == OOS or g in keep:
            by_label[g].append(i)
    chosen: list[int] = []
    for label in sorted(by_label):
        idx = by_label[label]
        limit = n_oos if label == OOS else per_intent
        chosen.extend(idx if limit is None or len(idx) <= limit else rng.sample(idx, limit))
    chosen.sort()
    return Split(tuple(split.texts[i] for i in chosen), tuple(split.gold[i] for i in chosen))


def restrict(ds: Dataset, n_intents: int | None) -> Dataset:
    """The first n intents (alphabetical) with their questions and all out-of-scope ones."""
    if not n_intents or n_intents >= len(ds.intents):
        return ds
    keep = set(ds.intents[:n_intents])
    return replace(
        ds,
        intents=ds.intents[:n_intents],
        train={k: v for k, v in ds.train.items() if k in keep},
        val=stratified(ds.val, None, None, 0, keep) if ds.val else None,
        test=stratified(ds.test, None, None, 0, keep),
    )


def phrasings(ds: Dataset, per_intent: int | None, seed: int) -> list[Item]:
    """One Item per intent: all its training utterances, or a seeded random `per_intent` of them."""
    rng = random.Random(seed)
    items = []
    for intent in ds.intents:
        texts = list(ds.train[intent])
        if per_intent is not None and len(texts) > per_intent:
            texts = rng.sample(texts, per_intent)
        items.append(Item(intent, tuple(texts)))
    return items


# --- running questions, in parallel on fork-able systems --------------------------------------------------
_FN: Callable | None = None


def _call(text: str):
    assert _FN is not None
    return _FN(text)


def run_all(fn: Callable, texts: Sequence[str], workers: int) -> list:
    """fn over every question; worker processes inherit fn (and its index) by fork, so nothing is rebuilt."""
    global _FN
    if workers <= 1 or len(texts) < 20 * workers or "fork" not in mp.get_all_start_methods():
        return [fn(t) for t in texts]
    _FN = fn
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            return list(pool.imap(_call, texts, chunksize=max(1, min(64, len(texts) // (workers * 8)))))
    finally:
        _FN = None


def latencies(fn: Callable, texts: Sequence[str], warmup: int = 10) -> list[float]:
    """Single-threaded wall time per call, after a short warm-up."""
    for t in texts[:warmup]:
        fn(t)
    out = []
    for t in texts:
        start = time.perf_counter()
        fn(t)
        out.append(time.perf_counter() - start)
    return out


# --- methods ----------------------------------------------------------------------------------------------
class Ours:
    name = "ours: bot.brain.matcher"

    def __init__(self, items: Sequence[Item], thresholds: Thresholds | None = None):
        start = time.perf_counter()
        self.matcher = Matcher(items, thresholds=thresholds) if thresholds else Matcher(items)
        self.build_s = time.perf_counter() - start
        self.index = {eid: i for i, eid in enumerate(self.matcher.ids)}

    def rank(self, text: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        s = self.matcher.scores(self.matcher.prepare(text))
        if not len(s):
            return (), ()
        top = np.argsort(-s, kind="stable")[:3]
        return tuple(int(i) for i in top), tuple(float(s[i]) for i in top)

    def rank_and_match(self, text: str):
        m = self.matcher.match(text)
        return self.rank(text), (m.outcome, m.entry_id, tuple(c.entry_id for c in m.candidates))


class WRatio:
    """Plain rapidfuzz: extractOne with WRatio over every phrasing (processed once at index time)."""

    name = "rapidfuzz extractOne WRatio"

    def __init__(self, items: Sequence[Item]):
        start = time.perf_counter()
        self.choices: list[str] = []
        owner: list[int] = []
        for e, item in enumerate(items):
            for p in item.phrasings:
                self.choices.append(utils.default_process(p))
                owner.append(e)
        self.owner = np.asarray(owner)
        self.build_s = time.perf_counter() - start

    def rank(self, text: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        best = process.extractOne(utils.default_process(text), self.choices, scorer=fuzz.WRatio, processor=None)
        if best is None:
            return (), ()
        return (int(self.owner[best[2]]),), (float(best[1]) / 100.0,)


class Difflib:
    """difflib SequenceMatcher ratio, 1-nearest-neighbour over every (lower-cased) phrasing.

    The real_quick_ratio/quick_ratio upper bounds skip phrasings that cannot beat the best so far (as
    difflib.get_close_matches does); the result is identical to trying every phrasing.
    """

    name = "difflib SequenceMatcher 1-NN"

    def __init__(self, items: Sequence[Item]):
        start = time.perf_counter()
        self.choices = [p.lower() for item in items for p in item.phrasings]
        self.owner = np.asarray([e for e, item in enumerate(items) for _ in item.phrasings])
        self.build_s = time.perf_counter() - start

    def rank(self, text: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        sm = difflib.SequenceMatcher()
        sm.set_seq2(text.lower())
        best, best_i = -1.0, -1
        for i, choice in enumerate(self.choices):
            sm.set_seq1(choice)
            if sm.real_quick_ratio() > best and sm.quick_ratio() > best:
                r = sm.ratio()
                if r > best:
                    best, best_i = r, i
        if best_i < 0:
            return (), ()
        return (int(self.owner[best_i]),), (best,)


# --- metrics ----------------------------------------------------------------------------------------------
@dataclass
class Ranked:
    """Per question: gold entry index (-1 = out of scope), best entry, its score, whether gold is in the top 3."""

    gold: np.ndarray
    pred: np.ndarray
    score: np.ndarray
    in_top3: np.ndarray | None

    @classmethod
    def of(cls, split: Split, index: dict[str, int], ranks: Sequence[tuple[tuple[int, ...], tuple[float, ...]]]):
        gold = np.array([index.get(g, -1) if g != OOS else -1 for g in split.gold])
        pred = np.array([r[0][0] if r[0] else -2 for r in ranks])
        score = np.array([r[1][0] if r[1] else 0.0 for r in ranks])
        if all(len(r[0]) >= min(3, len(index)) for r in ranks):
            in_top3 = np.array([g in r[0][:3] for g, r in zip(gold, ranks, strict=True)])
        else:
            in_top3 = None
        return cls(gold, pred, score, in_top3)

    @property
    def ins(self) -> np.ndarray:
        return self.gold >= 0

    @property
    def correct(self) -> np.ndarray:
        return (self.pred == self.gold) & self.ins


def sum_rule(val: Ranked) -> float:
    """The threshold maximising in-scope accuracy + OOS recall on val (lowest such; +inf = reject all)."""
    ins, oos = val.ins, ~val.ins
    if not oos.any() or not ins.any():
        return float("-inf")
    cands = np.unique(np.concatenate([val.score, [np.inf]]))
    right = np.sort(val.score[val.correct])
    wrong_oos = np.sort(val.score[oos])
    acc = (len(right) - np.searchsorted(right, cands, "left")) / ins.sum()
    recall = np.searchsorted(wrong_oos, cands, "left") / oos.sum()
    return float(cands[int(np.argmax(acc + recall))])


def precision_rule(val: Ranked, oos_weight: float, floor: float, target: float = TARGET_PRECISION) -> float:
    """The lowest threshold >= floor whose val auto-answer precision reaches target (+inf if none does)."""
    ins, oos = val.ins, ~val.ins
    cands = np.unique(val.score[val.score >= floor])
    answered_in = np.sort(val.score[ins])
    right = np.sort(val.score[val.correct])
    answered_oos = np.sort(val.score[oos])
    n_ans = len(answered_in) - np.searchsorted(answered_in, cands, "left")
    n_right = len(right) - np.searchsorted(right, cands, "left")
    n_oos = len(answered_oos) - np.searchsorted(answered_oos, cands, "left")
    denom = n_ans + oos_weight * n_oos
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(denom > 0, n_right / denom, 0.0)
    ok = np.flatnonzero(prec >= target)
    return float(cands[ok[0]]) if len(ok) else float("inf")


# Decision knobs of bot.brain.matcher.Thresholds that the plain three-zone policy (baselines.md 4.4) does not have:
# set to 0 so Matcher.match answers exactly when the best score >= t_hi and asks "did you mean" from t_lo.
NEUTRAL_KNOBS = ("margin", "length_relief")


def zone_thresholds(t_lo: float, t_hi: float) -> Thresholds:
    """The matcher's thresholds for the three-zone policy chosen on val (its other defaults kept)."""
    neutral = {f.name: 0.0 for f in fields(Thresholds) if f.name in NEUTRAL_KNOBS}
    return replace(Thresholds(), answer=t_hi, sure=t_hi, clarify=t_lo, **neutral)


def policy_mismatches(top: np.ndarray, outcomes: Sequence[str], t_lo: float, t_hi: float) -> int:
    """How many real outcomes differ from answer >= t_hi > clarify >= t_lo > fallback on the same top scores."""
    expected = np.where(top >= t_hi, ANSWER, np.where(top >= t_lo, CLARIFY, FALLBACK))
    return int(sum(e != o for e, o in zip(expected, outcomes, strict=True)))


def ranked_metrics(r: Ranked, threshold: float | None) -> dict:
    ins, oos = r.ins, ~r.ins
    out = {
        "n_in_scope": int(ins.sum()),
        "n_oos": int(oos.sum()),
        "top1": float(r.correct[ins].mean()) if ins.any() else None,
        "top3": float(r.in_top3[ins].mean()) if r.in_top3 is not None and ins.any() else None,
    }
    if threshold is not None and oos.any():
        answered = r.score >= threshold
        out.update(
            threshold=threshold,
            acc=float((r.correct & answered)[ins].mean()),
            oos_recall=float((~answered)[oos].mean()),
            precision=float((r.correct & answered).sum() / answered.sum()) if answered.any() else None,
        )
    return out


def zone_metrics(gold: Sequence[str], decisions: Sequence[tuple[str, str | None, tuple[str, ...]]]) -> dict:
    """Three-zone outcome shares from real `Matcher.match` results."""
    ins = [(g, d) for g, d in zip(gold, decisions, strict=True) if g != OOS]
    oos = [d for g, d in zip(gold, decisions, strict=True) if g == OOS]
    n_in, n_oos = max(len(ins), 1), max(len(oos), 1)
    auto_right = sum(1 for g, d in ins if d[0] == ANSWER and d[1] == g)
    auto_wrong = sum(1 for g, d in ins if d[0] == ANSWER and d[1] != g)
    clarify = sum(1 for g, d in ins if d[0] == CLARIFY)
    clarify_right = sum(1 for g, d in ins if d[0] == CLARIFY and g in d[2])
    oos_answered = sum(1 for d in oos if d[0] == ANSWER)
    oos_clarify = sum(1 for d in oos if d[0] == CLARIFY)
    answered = auto_right + auto_wrong + oos_answered
    return {
        "auto_right": auto_right / n_in,
        "auto_wrong": auto_wrong / n_in,
        "clarify": clarify / n_in,
        "clarify_right": clarify_right / n_in,
        "fallback": (len(ins) - auto_right - auto_wrong - clarify) / n_in,
        "oos_answered": oos_answered / n_oos,
        "oos_clarify": oos_clarify / n_oos,
        "oos_fallback": (len(oos) - oos_answered - oos_clarify) / n_oos,
        "auto_precision": auto_right / answered if answered else None,
    }


# --- one data set x one regime ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """How much of the data a run uses."""

    label: str
    n_intents: int | None = None
    val_per_intent: int | None = None
    val_oos: int | None = None
    test_per_intent: int | None = None
    test_oos: int | None = None
    difflib_val_per_intent: int = 1
    difflib_val_oos: int = 50
    difflib_test_per_intent: int = 2
    difflib_test_oos: int = 100
    difflib_cap: int | None = None  # at most this many difflib questions per split (seeded), after stratifying
    latency_n: int = 300
    difflib_latency_n: int = 10


PLANS = {
    "full": Plan("full"),
    "quick": Plan(
        "quick",
        val_per_intent=5,
        val_oos=100,
        test_per_intent=6,
        test_oos=200,
        difflib_val_oos=20,
        difflib_test_per_intent=1,
        difflib_test_oos=30,
        difflib_cap=100,
        latency_n=200,
        difflib_latency_n=5,
    ),
    "smoke": Plan(
        "smoke",
        n_intents=5,
        val_per_intent=3,
        val_oos=6,
        test_per_intent=4,
        test_oos=10,
        difflib_val_oos=2,
        difflib_test_per_intent=1,
        difflib_test_oos=3,
        latency_n=20,
        difflib_latency_n=2,
    ),
}


def cap(split: Split | None, n: int | None, seed: int) -> Split | None:
    """At most n questions of split, chosen at random (seeded), in their original order."""
    if split is None or n is None or len(split) <= n:
        return split
    keep = sorted(random.Random(seed).sample(range(len(split)), n))
    return Split(tuple(split.texts[i] for i in keep), tuple(split.gold[i] for i in keep))


def evaluate(ds: Dataset, per_intent: int | None, plan: Plan, args) -> dict:
    key = f"{ds.key}/{per_intent or 'all'}"
    items = phrasings(ds, per_intent, args.seed)
    n_phrasings = sum(len(it.phrasings) for it in items)
    val = stratified(ds.val, plan.val_per_intent, plan.val_oos, args.seed) if ds.val else None
    test = stratified(ds.test, plan.test_per_intent, plan.test_oos, args.seed)
    rng = random.Random(args.seed)
    lat_texts = rng.sample(test.texts, min(plan.latency_n, len(test)))
    regime = f"{per_intent}/entry" if per_intent else ("100/entry" if ds.key == "clinc150" else "all/entry")
    print(
        f"\n== {ds.title}, {regime}: {len(items)} entries, {n_phrasings:,} phrasings; "
        f"val {len(val) if val else 0:,}, test {len(test):,} questions",
        flush=True,
    )
    result: dict = {
        "dataset": ds.title,
        "regime": regime,
        "entries": len(items),
        "phrasings": n_phrasings,
        "methods": {},
    }

    # ours: thresholds from val only, then scores and real match() decisions on test
    t0 = time.perf_counter()
    ours = Ours(items)
    val_r = Ranked.of(val, ours.index, run_all(ours.rank, val.texts, args.workers)) if val else None
    if val_r is not None and (~val_r.ins).any():
        t_lo = sum_rule(val_r)
        n_in_test, n_oos_test = sum(g != OOS for g in test.gold), sum(g == OOS for g in test.gold)
        n_in_val, n_oos_val = int(val_r.ins.sum()), int((~val_r.ins).sum())
        weight = (n_oos_test / max(n_in_test, 1)) / (n_oos_val / max(n_in_val, 1)) if n_oos_val else 1.0
        t_hi = max(t_lo, precision_rule(val_r, weight, t_lo))
        tuned = Ours(items, zone_thresholds(t_lo, t_hi))
        pairs = run_all(tuned.rank_and_match, test.texts, args.workers)
        test_r = Ranked.of(test, tuned.index, [p[0] for p in pairs])
        metrics = ranked_metrics(test_r, t_lo)
        metrics["t_hi"] = t_hi
        metrics["zones"] = zone_metrics(test.gold, [p[1] for p in pairs])
        metrics["policy_mismatches"] = policy_mismatches(test_r.score, [p[1][0] for p in pairs], t_lo, t_hi)
        if metrics["policy_mismatches"]:
            print(
                f"   warning: {metrics['policy_mismatches']} Matcher.match outcomes differ from the plain three-zone "
                "rule on the same scores; the matcher has a decision rule this benchmark does not neutralise "
                "(see NEUTRAL_KNOBS)",
                flush=True,
            )
        lat = latencies(tuned.matcher.match, lat_texts)
    else:
        test_r = Ranked.of(test, ours.index, run_all(ours.rank, test.texts, args.workers))
        metrics = ranked_metrics(test_r, None)
        lat = latencies(ours.matcher.match, lat_texts)
    metrics.update(
        build_s=ours.build_s,
        p50_ms=percentile_ms(lat, 50),
        p99_ms=percentile_ms(lat, 99),
        n_test=len(test),
        seconds=time.perf_counter() - t0,
    )
    result["methods"]["ours"] = metrics
    _progress(ours.name, metrics)

    # baselines, same protocol (top-1 only: extractOne and 1-NN return one entry)
    if not args.no_baselines:
        base = {"wratio": (WRatio, val, test, lat_texts)}
        if not args.no_difflib:
            dval = stratified(ds.val, plan.difflib_val_per_intent, plan.difflib_val_oos, args.seed) if ds.val else None
            dtest = stratified(ds.test, plan.difflib_test_per_intent, plan.difflib_test_oos, args.seed)
            dval, dtest = cap(dval, plan.difflib_cap, args.seed), cap(dtest, plan.difflib_cap, args.seed)
            base["difflib"] = (Difflib, dval, dtest, lat_texts[: plan.difflib_latency_n])
        for name, (cls, bval, btest, blat) in base.items():
            t0 = time.perf_counter()
            method = cls(items)
            index = {it.id: i for i, it in enumerate(items)}
            threshold = None
            if bval is not None:
                vr = Ranked.of(bval, index, run_all(method.rank, bval.texts, args.workers))
                threshold = sum_rule(vr) if (~vr.ins).any() else None
            tr = Ranked.of(btest, index, run_all(method.rank, btest.texts, args.workers))
            m = ranked_metrics(tr, threshold)
            lat = latencies(method.rank, blat, warmup=2)
            m.update(
                build_s=method.build_s,
                p50_ms=percentile_ms(lat, 50),
                p99_ms=percentile_ms(lat, 99),
                n_test=len(btest),
                seconds=time.perf_counter() - t0,
            )
            result["methods"][name] = m
            _progress(cls.name, m)
    result["references"] = REFERENCES.get(key, [])
    return result


def _progress(name: str, m: dict) -> None:
    parts = [f"top-1 {fmt(pct(m.get('top1')))}%"]
    if "acc" in m:
        parts.append(f"in-scope acc {fmt(pct(m['acc']))}% / OOS recall {fmt(pct(m['oos_recall']))}%")
    parts.append(f"p50 {m['p50_ms']:.2f} ms; {m['seconds']:.1f} s")
    print(f"   {name}: " + ", ".join(parts), flush=True)


# --- report -----------------------------------------------------------------------------------------------
METHOD_NAMES = {"ours": Ours.name, "wratio": WRatio.name, "difflib": Difflib.name}


def main_table(results: dict) -> str:
    headers = [
        "data",
        "method",
        "top-1 %",
        "top-3 %",
        "in-scope acc %",
        "OOS recall %",
        "answer prec. %",
        "p50 ms",
        "index s",
        "test n",
    ]
    rows = []
    for res in results.values():
        data = f"{res['dataset']}, {res['regime']}"
        for key, m in res["methods"].items():
            rows.append(
                [
                    data,
                    METHOD_NAMES[key],
                    fmt(pct(m.get("top1"))),
                    fmt(pct(m.get("top3"))),
                    fmt(pct(m.get("acc"))),
                    fmt(pct(m.get("oos_recall"))),
                    fmt(pct(m.get("precision"))),
                    fmt(m.get("p50_ms"), 2),
                    fmt(m.get("build_s"), 2),
                    fmt(m.get("n_test")),
                ]
            )
        for ref in res["references"]:
            rows.append(
                [
                    data,
                    ref["method"],
                    fmt(ref.get("top1")),
                    fmt(ref.get("top3")),
                    fmt(ref.get("acc")),
                    fmt(ref.get("oos_recall")),
                    fmt(ref.get("precision")),
                    fmt(ref.get("p50_ms"), 2),
                    "",
                    "",
                ]
            )
    return table(headers, rows, "Answer quality (test split; thresholds chosen on the validation split)")


def zones_table(results: dict) -> str | None:
    headers = [
        "data",
        "method",
        "t_lo",
        "t_hi",
        "answered right %",
        "answered wrong %",
        "did you mean %",
        "(right offered) %",
        "fallback %",
        "OOS answered %",
        "OOS did you mean %",
        "OOS fallback %",
        "auto-answer prec. %",
    ]
    rows = []
    for key, res in results.items():
        m = res["methods"]["ours"]
        if "zones" not in m:
            continue
        z = m["zones"]
        data = f"{res['dataset']}, {res['regime']}"
        rows.append(
            [
                data,
                Ours.name,
                fmt(m["threshold"], 3),
                fmt(m["t_hi"], 3),
                *(fmt(pct(z[k])) for k in ZONE_COLUMNS),
            ]
        )
        ref = REFERENCE_ZONES.get(key)
        if ref:
            rows.append(
                [
                    data,
                    ref["method"],
                    "",
                    "",
                    *(fmt(ref[k]) for k in ZONE_COLUMNS),
                ]
            )
    if not rows:
        return None
    return table(
        headers,
        rows,
        "Three-zone policy through Matcher.match (answer >= t_hi > did you mean >= t_lo > "
        "fallback; shares of in-scope / out-of-scope test questions)",
    )


def goals(results: dict, plan: Plan) -> list[Goal]:
    out = []
    note = "" if plan.label == "full" else f" [{plan.label} run: subsample, indicative only]"
    for key, (min_acc, min_recall) in GOALS.items():
        res = results.get(key)
        if not res or "acc" not in res["methods"]["ours"]:
            continue
        m = res["methods"]["ours"]
        out.append(
            Goal(
                f"{res['dataset']}, {res['regime']}: in-scope accuracy and OOS recall{note}",
                f"{pct(m['acc']):.1f}% / {pct(m['oos_recall']):.1f}%",
                f">= {min_acc:.0%} / >= {min_recall:.0%}",
                m["acc"] >= min_acc and m["oos_recall"] >= min_recall,
            )
        )
    for res in results.values():
        m = res["methods"]["ours"]
        out.append(
            Goal(
                f"index build, {res['dataset']} {res['regime']} ({res['phrasings']:,} phrasings), no training step",
                f"{m['build_s']:.2f} s",
                f"<= {MAX_INDEX_SECONDS:.0f} s",
                m["build_s"] <= MAX_INDEX_SECONDS,
            )
        )
    return out


# --- command line -----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="stratified subsample of the questions (~1 minute)")
    size.add_argument("--smoke", action="store_true", help="5 intents, a few questions (seconds; for the tests)")
    p.add_argument("--datasets", default="clinc150,banking77", help="comma-separated: clinc150, banking77")
    p.add_argument("--regimes", default="all,5", help="phrasings per entry: 'all' and/or a number (default all,5)")
    p.add_argument("--no-baselines", action="store_true", help="only our matcher")
    p.add_argument("--no-difflib", action="store_true", help="skip the slow difflib baseline")
    p.add_argument("--limit-intents", type=int, default=None, metavar="N", help="only the first N intents")
    p.add_argument("--seed", type=int, default=0, help="seed of every subsample (default 0)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the batch evaluation")
    p.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.limit_intents:
        plan = replace(plan, n_intents=args.limit_intents)
    if args.smoke:
        args.workers = 1
    loaders = {"clinc150": load_clinc, "banking77": load_banking}
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = [d for d in wanted if d not in loaders]
    if unknown:
        print(
            f"quality.py: unknown data set(s): {', '.join(unknown)} (choose from clinc150, banking77)", file=sys.stderr
        )
        return 2
    try:
        regimes = [None if r.strip() == "all" else int(r) for r in args.regimes.split(",") if r.strip()]
    except ValueError:
        print("quality.py: --regimes takes 'all' and/or whole numbers, e.g. all,5", file=sys.stderr)
        return 2

    print(machine_line())
    print(
        f"Plan: {plan.label}; seed {args.seed}; {args.workers} worker process(es) for the batch evaluation; "
        "latency single-threaded"
    )
    started = time.perf_counter()
    results: dict[str, dict] = {}
    for name in wanted:
        try:
            ds = restrict(loaders[name](), plan.n_intents)
        except OSError as exc:
            print(f"quality.py: cannot read the {name} data ({exc}); see bench/data/{name}/SOURCE.md", file=sys.stderr)
            return 2
        for per_intent in regimes:
            results[f"{ds.key}/{per_intent or 'all'}"] = evaluate(ds, per_intent, plan, args)

    print()
    print(main_table(results))
    zt = zones_table(results)
    if zt:
        print()
        print(zt)
    gs = goals(results, plan)
    print()
    print(goals_block(gs))
    print(
        f"\nTotal {time.perf_counter() - started:.0f} s. References: ../shared/matching/baselines.md (not re-run); "
        "difflib runs on a fixed stratified subsample (test n above)."
    )
    write_json_file(
        args.json,
        clean_floats(
            {
                "benchmark": "quality",
                "plan": plan.__dict__,
                "seed": args.seed,
                "machine": machine(),
                "results": results,
                "goals": [g.as_json() for g in gs],
            }
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
