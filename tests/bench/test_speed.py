"""bench/speed.py: a smoke run prints latency, start-up and memory with sane numbers; the synthetic KB is fixed."""

from __future__ import annotations

import speed


def test_smoke_run_prints_the_tables_and_sane_numbers(bench):
    out, data = bench("speed.py", "--smoke")

    assert "Matcher latency" in out and "Start-up and memory" in out and "Goals:" in out
    rows = {r["kb"]: r for r in data["latency"]}
    assert set(rows) == {"real", "synthetic 200"}
    for r in rows.values():
        for side in ("ours", "wratio"):
            t = r[side]
            assert 0 < t["p50_ms"] <= t["p99_ms"] <= t["max_ms"] and t["qps"] > 0
        assert r["speedup_p50"] == r["wratio"]["p50_ms"] / r["ours"]["p50_ms"]
    assert rows["synthetic 200"]["entries"] == 200
    assert rows["real"]["entries"] > 10

    start = data["startup"]
    assert 0 < start["index_s"] < start["in_process_s"] <= start["wall_s"]
    assert 10 < data["peak_rss_mb"]["real KB"] < 2000
    assert {g["goal"] for g in data["goals"]} >= {"p99 latency, real knowledge base", "peak RSS, real KB"}


def test_synthetic_knowledge_base_is_deterministic_and_faq_shaped():
    items, questions = speed.synthetic_kb(300, seed=0)
    again, _ = speed.synthetic_kb(300, seed=0)
    other, _ = speed.synthetic_kb(300, seed=1)
    assert items == again and items != other
    assert len(items) == 300 == len(questions) and len({it.id for it in items}) == 300
    assert all(3 <= len(it.phrasings) <= 5 for it in items)
    assert all(len(p.split()) <= 20 for it in items for p in it.phrasings)
    assert len({p for it in items for p in it.phrasings}) == sum(len(it.phrasings) for it in items)
