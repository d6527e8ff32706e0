"""Matcher speed and size: latency, throughput, start-up time and peak memory, beside plain rapidfuzz.

    python bench/speed.py              # real knowledge base + synthetic ones of 1,000 and 10,000 entries
    python bench/speed.py --quick      # fewer timed questions, synthetic 1,000 only
    python bench/speed.py --smoke      # seconds (what the test suite runs)

Everything is single-threaded. Latency is the wall time of one `Matcher.match(question)` call (normalising,
synonyms, typo mending, scoring and the decision), after a warm-up; throughput is questions per second in a
plain loop. Start-up and peak memory are measured in fresh subprocesses (`import`, load and index the real
knowledge base; `resource.getrusage` after answering questions). The baseline is rapidfuzz
`process.extractOne(question, every phrasing, scorer=fuzz.WRatio)` on the same knowledge base and questions.

The synthetic knowledge bases are generated deterministically (seeded) from a small vocabulary of NHS
support-worker topics: short phrasings, 3 to 5 per entry, and questions that reword an entry (some with a
typo) or ask about something unrelated.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchlib import ROOT, Goal, clean_floats, fmt, goals_block, machine, machine_line, percentile_ms, table
from benchlib import write_json as write_json_file
from rapidfuzz import fuzz, process, utils

from bot.brain.matcher import Item, Matcher

# Issue 11: the matcher p99 on the real knowledge base stays under 5 ms, start-up under 1.5 s, RSS under 100 MB.
GOAL_P99_REAL_MS = 5.0
GOAL_P99_10K_MS = 20.0
GOAL_STARTUP_S = 1.5
GOAL_RSS_MB = 100.0
EVAL_QUESTIONS = ROOT / "knowledge" / "examples" / "tuning.yaml"


# --- a deterministic synthetic knowledge base -------------------------------------------------------------
def _phrases(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


TOPICS = _phrases(
    """
    annual leave, sick pay, night shifts, weekend working, overtime pay, bank shifts, pension, maternity leave,
    paternity leave, flexible working, appraisal, mandatory training, manual handling, uniform policy,
    car parking, travel expenses, mileage claims, study leave, CPD hours, the apprenticeship levy,
    a level 3 diploma, the care certificate, an access course, a foundation degree, a degree apprenticeship,
    band 3 duties, band 4 duties, rebanding, job evaluation, a job description, a person specification,
    an interview, a reference, a DBS check, occupational health, a return to work meeting, a grievance,
    union membership, CSP associate membership, indemnity insurance, delegation from a physio, supervision,
    a caseload, home visits, hydrotherapy, falls assessments, exercise classes, walking aids,
    wheelchair assessments, splinting, respiratory care, stroke rehab, paediatric clinics,
    musculoskeletal clinics, community rehab, discharge planning, hospital at home, record keeping,
    clinical notes, consent, safeguarding, infection control, lone working, on call rotas, team meetings,
    preceptorship, a secondment, an acting up role, a career break, part time hours, a zero hours contract,
    agency work, private practice, a sports club role, a gym instructor qualification, moving to Scotland,
    moving to Wales, working in Northern Ireland, a visa, pay progression, incremental points,
    high cost area supplement, unsocial hours payments, the pay award, back pay, a pay slip, tax codes,
    student loans, a bursary, university interviews, personal statements, UCAS points, GCSE maths,
    functional skills English, a portfolio, reflective practice, peer review, a competency framework,
    the AHP support workforce framework, leadership courses, mentoring, coaching, a band 5 physio post
    """
)
ROLES = _phrases(
    """
    a support worker, a technical instructor, an assistant practitioner, an apprentice, a rehab assistant,
    a therapy assistant, a healthcare assistant, a student
    """
)
PLACES = _phrases(
    """
    on the wards, in outpatients, in the community team, in a GP surgery, in a care home, in the gym,
    at a trust, in a private clinic, in mental health services, in a hospice, in paediatrics, in orthopaedics,
    in neuro rehab, in ICU, in A&E, in a health board
    """
)
TEMPLATES = [
    "how does {topic} work for {role} {place}",
    "what are the rules on {topic} for {role} {place}",
    "can {role} {place} get {topic}",
    "{topic} for {role} {place}",
    "who do I ask about {topic} as {role} {place}",
    "is {topic} different for {role} {place}",
    "where can {role} find out about {topic} {place}",
    "what should {role} {place} know about {topic}",
]
QUESTION_TEMPLATES = [
    "hi, how does {topic} work if im {role} {place}?",
    "quick one - {topic} for {role} {place}",
    "does anyone know the rules about {topic} for {role} {place}",
    "im {role} {place}, what about {topic}",
]
UNRELATED = _phrases(
    """
    what time does the canteen close, can you book me a taxi, whats the weather like in leeds tomorrow,
    recommend a good pizza place, how do I reset my phone, who won the football last night,
    tell me a joke about cats, how tall is mount everest, what is the capital of australia,
    translate hello into french, how do I make sourdough bread, when is the next bank holiday
    """
)


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap two letters
    return " ".join(words)


def synthetic_kb(n_entries: int, seed: int = 0) -> tuple[list[Item], list[str]]:
    """n entries of 3-5 short phrasings each, and one question per entry (rewordings, typos, 10% unrelated)."""
    rng = random.Random(seed)
    combos = [(t, r, p) for t in TOPICS for r in ROLES for p in PLACES]
    if n_entries > len(combos):
        raise ValueError(f"at most {len(combos)} synthetic entries")
    chosen = rng.sample(combos, n_entries)
    items, questions = [], []
    for n, (topic, role, place) in enumerate(chosen):
        k = rng.randint(3, 5)
        phr = [tpl.format(topic=topic, role=role, place=place) for tpl in rng.sample(TEMPLATES, k)]
        items.append(Item(f"entry-{n:05d}", tuple(phr)))
        if rng.random() < 0.1:
            questions.append(rng.choice(UNRELATED))
        else:
            q = rng.choice(QUESTION_TEMPLATES).format(topic=topic, role=role, place=place)
            questions.append(_typo(q, rng) if rng.random() < 0.3 else q)
    rng.shuffle(questions)
    return items, questions


# --- the real knowledge base ------------------------------------------------------------------------------
def real_questions(kb) -> list[str]:
    """The labelled evaluation questions (knowledge/examples/tuning.yaml), else each entry's phrasings."""
    try:
        from bot.brain.evaluation import load_questions

        qs = [q.q for q in load_questions(EVAL_QUESTIONS, kb)]
        if qs:
            return qs
    except (OSError, ValueError):
        pass
    return [p for e in kb.entries for p in e.phrasings]


# --- timing -----------------------------------------------------------------------------------------------
def timed(fn: Callable[[str], object], questions: Sequence[str], n: int, warmup: int = 20) -> dict:
    """Call fn on questions (cycling) n times, one at a time; per-call latencies and the loop's throughput."""
    for q in questions[:warmup]:
        fn(q)
    lat = []
    started = time.perf_counter()
    for i in range(n):
        q = questions[i % len(questions)]
        t0 = time.perf_counter()
        fn(q)
        lat.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    worst = sorted(range(n), key=lat.__getitem__, reverse=True)[:5]
    return {
        "slowest": [(1000.0 * lat[i], len(questions[i % len(questions)])) for i in worst],
        "n": n,
        "p50_ms": percentile_ms(lat, 50),
        "p99_ms": percentile_ms(lat, 99),
        "mean_ms": 1000.0 * statistics.fmean(lat),
        "max_ms": 1000.0 * max(lat),
        "qps": n / elapsed if elapsed else float("nan"),
    }


def wratio_fn(phrasings: Sequence[str]) -> Callable[[str], object]:
    choices = [utils.default_process(p) for p in phrasings]

    def extract(q: str):
        return process.extractOne(utils.default_process(q), choices, scorer=fuzz.WRatio, processor=None)

    return extract


def bench_kb(
    label: str, build: Callable[[], Matcher], phrasings: Sequence[str], questions: Sequence[str], n: int, n_base: int
) -> dict:
    t0 = time.perf_counter()
    matcher = build()
    build_s = time.perf_counter() - t0
    ours = timed(matcher.match, questions, n)
    base = timed(wratio_fn(phrasings), questions, n_base, warmup=3)
    row = {
        "kb": label,
        "entries": len(matcher.ids),
        "phrasings": len(phrasings),
        "build_s": build_s,
        "ours": ours,
        "wratio": base,
        "speedup_p50": base["p50_ms"] / ours["p50_ms"],
        "speedup_p99": base["p99_ms"] / ours["p99_ms"],
    }
    print(
        f"   {label}: {row['entries']:,} entries, {row['phrasings']:,} phrasings, index {build_s:.2f} s; "
        f"ours p50 {ours['p50_ms']:.2f} / p99 {ours['p99_ms']:.2f} ms; "
        f"WRatio p50 {base['p50_ms']:.2f} / p99 {base['p99_ms']:.2f} ms",
        flush=True,
    )
    return row


# --- fresh-process measurements ---------------------------------------------------------------------------
CHILD_STARTUP = """
import json, time
t0 = time.perf_counter()
from bot.brain.lint import load_knowledge
from bot.brain.matcher import build_matcher
t1 = time.perf_counter()
kb = load_knowledge()
t2 = time.perf_counter()
m = build_matcher(kb)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "index_s": t3 - t2}))
"""


def startup(repeats: int) -> dict:
    """Median over fresh interpreters: wall time from spawn to exit, and the in-process breakdown."""
    walls, parts = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD_STARTUP], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        walls.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise RuntimeError(f"start-up child failed: {done.stderr.strip()[-500:]}")
        parts.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    out["in_process_s"] = out["import_s"] + out["load_s"] + out["index_s"]
    out["wall_s"] = statistics.median(walls)
    out["repeats"] = repeats
    return out


def child_rss(kind: str, entries: int, seed: int) -> None:
    """(in a fresh process) build a matcher, answer every question once, print the peak RSS in MB."""
    if kind == "real":
        from bot.brain.lint import load_knowledge
        from bot.brain.matcher import build_matcher

        kb = load_knowledge()
        matcher = build_matcher(kb)
        questions = real_questions(kb)
    else:
        items, questions = synthetic_kb(entries, seed)
        matcher = Matcher(items)
    for q in questions:
        matcher.match(q)
    print(json.dumps({"peak_rss_mb": own_peak_rss_mb()}))


def own_peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux carries ru_maxrss over from the parent through fork/vfork + exec (the kernel keeps the larger of the
    old and new peaks), so a child spawned by a big benchmark process would report the parent's peak.
    /proc/self/status VmHWM belongs to the new process image only; getrusage is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except (OSError, ValueError, IndexError):
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return rss / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)


def peak_rss(kind: str, entries: int = 0, seed: int = 0) -> float:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child-rss",
            kind,
            "--entries",
            str(entries),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed: {done.stderr.strip()[-500:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mb"])


# --- report -----------------------------------------------------------------------------------------------
def latency_table(rows: Sequence[dict]) -> str:
    headers = [
        "knowledge base",
        "entries",
        "phrasings",
        "index s",
        "ours p50 ms",
        "ours p99 ms",
        "ours q/s",
        "WRatio p50 ms",
        "WRatio p99 ms",
        "WRatio q/s",
        "ours vs WRatio (p50)",
    ]
    body = []
    for r in rows:
        o, b = r["ours"], r["wratio"]
        body.append(
            [
                r["kb"],
                fmt(r["entries"]),
                fmt(r["phrasings"]),
                fmt(r["build_s"], 2),
                fmt(o["p50_ms"], 3),
                fmt(o["p99_ms"], 3),
                fmt(o["qps"], 0),
                fmt(b["p50_ms"], 2),
                fmt(b["p99_ms"], 2),
                fmt(b["qps"], 0),
                f"{r['speedup_p50']:.1f}x faster" if r["speedup_p50"] >= 1 else f"{1 / r['speedup_p50']:.1f}x slower",
            ]
        )
    return table(headers, body, "Matcher latency, single-threaded (Matcher.match vs rapidfuzz extractOne WRatio)")


def size_table(start: dict | None, rss: dict) -> str:
    rows = []
    if start:
        rows.append(["start-up, real KB (fresh interpreter, spawn to exit)", f"{start['wall_s']:.3f} s"])
        rows.append(["  of which import bot.brain.knowledge + bot.brain.matcher", f"{start['import_s']:.3f} s"])
        rows.append(["  of which load knowledge/*.yaml", f"{start['load_s']:.3f} s"])
        rows.append(["  of which index (build_matcher)", f"{start['index_s']:.3f} s"])
    for label, mb in rss.items():
        rows.append([f"peak RSS, {label}", f"{mb:.1f} MB"])
    return table(["measure", "value"], rows, "Start-up and memory (fresh subprocesses)")


def goals(rows: Sequence[dict], start: dict | None, rss: dict) -> list[Goal]:
    out = []
    by = {r["kb"]: r for r in rows}
    if "real" in by:
        p99 = by["real"]["ours"]["p99_ms"]
        out.append(
            Goal(
                "p99 latency, real knowledge base",
                f"{p99:.2f} ms",
                f"<= {GOAL_P99_REAL_MS:g} ms",
                p99 <= GOAL_P99_REAL_MS,
            )
        )
    big = [r for r in rows if r["entries"] >= 10_000]
    for r in big:
        p99 = r["ours"]["p99_ms"]
        out.append(
            Goal(f"p99 latency, {r['kb']}", f"{p99:.2f} ms", f"<= {GOAL_P99_10K_MS:g} ms", p99 <= GOAL_P99_10K_MS)
        )
    if start:
        out.append(
            Goal(
                "start-up: import + load + index the real KB (fresh process)",
                f"{start['wall_s']:.2f} s",
                f"<= {GOAL_STARTUP_S:g} s",
                start["wall_s"] <= GOAL_STARTUP_S,
            )
        )
    if "real KB" in rss:
        out.append(
            Goal(
                "peak RSS, real KB", f"{rss['real KB']:.1f} MB", f"<= {GOAL_RSS_MB:g} MB", rss["real KB"] <= GOAL_RSS_MB
            )
        )
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer timed questions; synthetic 1,000 only")
    size.add_argument("--smoke", action="store_true", help="seconds: small synthetic KB, few questions")
    p.add_argument("--sizes", default=None, help="synthetic KB sizes, comma-separated (default 1000,10000)")
    p.add_argument("-n", "--questions", type=int, default=None, help="timed questions per KB (default 3000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    p.add_argument("--child-rss", choices=("real", "synthetic"), help=argparse.SUPPRESS)
    p.add_argument("--entries", type=int, default=0, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child_rss:
        child_rss(args.child_rss, args.entries, args.seed)
        return 0
    if args.smoke:
        sizes, n, n_base, repeats = [200], 100, 10, 1
    elif args.quick:
        sizes, n, n_base, repeats = [1000], 1000, 100, 3
    else:
        sizes, n, n_base, repeats = [1000, 10_000], 3000, 200, 5
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    n = args.questions or n

    from bot.brain.lint import load_knowledge
    from bot.brain.matcher import build_matcher

    print(machine_line())
    print("Single-threaded; latency = one Matcher.match call after a warm-up.\n")
    # fresh-process measurements first, while this process is still small
    print("   start-up and memory (fresh subprocesses)...", flush=True)
    start = startup(repeats)
    rss = {"real KB": peak_rss("real")}
    if not args.smoke:
        rss[f"synthetic {max(sizes):,}"] = peak_rss("synthetic", max(sizes), args.seed)
    print(f"   start-up {start['wall_s']:.2f} s; peak RSS " + ", ".join(f"{k} {v:.1f} MB" for k, v in rss.items()))

    kb = load_knowledge()
    # what the matcher indexes: every entry's phrasings and the example questions (knowledge/examples/)
    real_phrasings = [p for e in kb.entries for p in e.phrasings] + [ex.q for ex in kb.examples]
    rows = [bench_kb("real", lambda: build_matcher(kb), real_phrasings, real_questions(kb), n, n_base * 2)]
    for size in sizes:
        items, questions = synthetic_kb(size, args.seed)
        rows.append(
            bench_kb(
                f"synthetic {size:,}",
                lambda items=items: Matcher(items),
                [p for it in items for p in it.phrasings],
                questions,
                n if size < 10_000 else max(n // 3, 50),
                max(n_base // (4 if size >= 10_000 else 1), 10),
            )
        )

    slow = rows[0]["ours"]["slowest"]
    print("   slowest real-KB questions: " + ", ".join(f"{ms:.1f} ms ({chars} chars)" for ms, chars in slow[:3]))
    print()
    print(latency_table(rows))
    print()
    print(size_table(start, rss))
    gs = goals(rows, start, rss)
    print()
    print(goals_block(gs))
    write_json_file(
        args.json,
        clean_floats(
            {
                "benchmark": "speed",
                "machine": machine(),
                "latency": rows,
                "startup": start,
                "peak_rss_mb": rss,
                "goals": [g.as_json() for g in gs],
            }
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
