"""bench/quality.py: a smoke run prints the table with sane numbers; the threshold rules choose on val."""

from __future__ import annotations

import numpy as np
import pytest
import quality


def test_smoke_run_prints_one_table_with_ours_the_baselines_and_the_goals(bench):
    out, data = bench("quality.py", "--smoke")

    assert "Answer quality" in out and "Three-zone policy" in out and "Goals:" in out
    for name in (
        "ours: bot.brain.matcher",
        "rapidfuzz extractOne WRatio",
        "difflib SequenceMatcher 1-NN",
        "ref: TF-IDF char 3-5 entry centroid",
        "ref: all-MiniLM-L6-v2",
        "ref: BERT",
    ):
        assert name in out
    assert "[PASS]" in out or "[FAIL]" in out

    results = data["results"]
    assert set(results) == {"clinc150/all", "clinc150/5", "banking77/all", "banking77/5"}
    assert results["clinc150/5"]["phrasings"] == 5 * results["clinc150/5"]["entries"]
    for key, res in results.items():
        ours = res["methods"]["ours"]
        assert set(res["methods"]) == {"ours", "wratio", "difflib"}
        for m in res["methods"].values():
            assert 0.0 <= m["top1"] <= 1.0 and 0 < m["p50_ms"] <= m["p99_ms"]
        # 5 intents with their own training phrasings: a working matcher finds most of them
        assert ours["top1"] >= 0.6, key
        assert ours["top3"] >= ours["top1"]
    for key in ("clinc150/all", "clinc150/5"):
        ours = results[key]["methods"]["ours"]
        assert ours["threshold"] <= ours["t_hi"]
        for m in results[key]["methods"].values():
            assert 0.0 <= m["acc"] <= m["top1"] and 0.0 <= m["oos_recall"] <= 1.0
        z = ours["zones"]
        assert z["auto_right"] + z["auto_wrong"] + z["clarify"] + z["fallback"] == pytest.approx(1.0)
        assert z["oos_answered"] + z["oos_clarify"] + z["oos_fallback"] == pytest.approx(1.0)
        assert z["clarify_right"] <= z["clarify"]
        assert ours["policy_mismatches"] == 0  # Matcher.match followed the three-zone thresholds chosen on val
    assert "threshold" not in results["banking77/all"]["methods"]["ours"]  # no OOS, no validation split
    assert {g["goal"].split(":")[0] for g in data["goals"]} >= {
        "CLINC150 Full, 100/entry",
        "CLINC150 Full, 5/entry",
    }


def ranked(gold, pred, score):
    return quality.Ranked(np.array(gold), np.array(pred), np.array(score, dtype=float), None)


def test_sum_rule_picks_the_threshold_that_separates_right_answers_from_out_of_scope():
    # three right in-scope answers (0.9, 0.8, 0.7), one wrong (0.6), two out-of-scope (0.5, 0.65)
    val = ranked([0, 1, 2, 3, -1, -1], [0, 1, 2, 0, 4, 5], [0.9, 0.8, 0.7, 0.6, 0.5, 0.65])
    t = quality.sum_rule(val)
    assert t == pytest.approx(0.7)
    m = quality.ranked_metrics(val, t)
    assert m["acc"] == pytest.approx(3 / 4) and m["oos_recall"] == 1.0 and m["precision"] == 1.0


def test_precision_rule_weights_out_of_scope_up_to_the_test_share():
    # at 0.6 and up: 4 right, 1 out-of-scope answered (0.62); 80% precision unweighted, worse when weighted
    val = ranked([0, 1, 2, 3, -1, -1], [0, 1, 2, 3, 4, 5], [0.9, 0.8, 0.7, 0.6, 0.62, 0.1])
    assert quality.precision_rule(val, 1.0, 0.0, target=0.8) == pytest.approx(0.6)
    assert quality.precision_rule(val, 3.0, 0.0, target=0.8) == pytest.approx(0.7)
    assert quality.precision_rule(val, 1.0, 0.0, target=1.01) == float("inf")


def test_subsamples_and_regimes_are_fixed_by_the_seed():
    ds = quality.restrict(quality.load_clinc(), 4)
    a = quality.stratified(ds.test, 3, 5, seed=0)
    assert a == quality.stratified(ds.test, 3, 5, seed=0)
    assert a != quality.stratified(ds.test, 3, 5, seed=1)
    counts = {g: a.gold.count(g) for g in set(a.gold)}
    assert counts == {**{i: 3 for i in ds.intents}, "oos": 5}

    five = quality.phrasings(ds, 5, seed=0)
    assert [it.phrasings for it in five] == [it.phrasings for it in quality.phrasings(ds, 5, seed=0)]
    assert all(len(it.phrasings) == 5 and set(it.phrasings) <= set(ds.train[it.id]) for it in five)


def test_three_zone_thresholds_neutralise_the_matchers_other_decision_rules():
    t = quality.zone_thresholds(0.3, 0.5)
    assert (t.answer, t.sure, t.clarify, t.margin) == (0.5, 0.5, 0.3, 0.0)
    assert getattr(t, "length_relief", 0.0) == 0.0

    top = np.array([0.6, 0.5, 0.4, 0.3, 0.2])
    assert quality.policy_mismatches(top, ["answer", "answer", "clarify", "clarify", "fallback"], 0.3, 0.5) == 0
    assert quality.policy_mismatches(top, ["answer", "clarify", "clarify", "fallback", "fallback"], 0.3, 0.5) == 2
