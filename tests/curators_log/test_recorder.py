"""The recorder on both back ends: what it stores, what it never stores, retention, and many writers at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.curators_log import LATEST_VERSION, hash_user, make_store
from bot.curators_log.schema import ChoiceRow, FeedbackRow, QuestionRow
from tests.curators_log.conftest import HASH_KEY
from tests.curators_log.helpers import FakeClock, make_reply

ROOT = Path(__file__).resolve().parents[2]
USER = "U024BE7LH"


def questions(store) -> list[tuple]:
    return store.fetchall(
        "SELECT ref, surface, outcome, entry_id, score, question, candidates, declined, user_hash "
        "FROM questions ORDER BY created_at"
    )


def everything(store) -> str:
    """Every stored value of every table, as one string to search."""
    return repr([store.fetchall(f"SELECT * FROM {t}") for t in ("questions", "feedback", "choices", "events")])


def test_question_feedback_and_choice_are_linked_by_ref(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    ref = recorder.record_question(
        "command", "band?", make_reply("clarify", candidates=["band-3", "band-4"], score=71), user_id=USER
    )
    answered = recorder.record_question("dm", "what does a band 4 do", make_reply("answer", "band-4", score=96))
    recorder.record_choice(ref, "band-4", surface="button", user_id=USER)
    recorder.record_feedback(answered, "band-4", True)
    recorder.record_feedback(answered, "band-4", False, surface="button")
    assert recorder.flush()

    store = stores(make_settings())
    rows = questions(store)
    assert [r[:8] for r in rows] == [
        (ref, "command", "clarify", None, 71, "band?", "band-3 band-4", None),
        (answered, "dm", "answer", "band-4", 96, "what does a band 4 do", None, None),
    ]
    assert store.fetchall("SELECT ref, entry_id, surface FROM choices") == [(ref, "band-4", "button")]
    feedback = store.fetchall("SELECT ref, entry_id, helpful FROM feedback ORDER BY id")
    assert [(r, e, bool(h)) for r, e, h in feedback] == [(answered, "band-4", True), (answered, "band-4", False)]


def test_personal_details_are_redacted_before_storing(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    recorder.record_question(
        "dm",
        "I'm <@U0SOMEONE>, jo@nhs.net, 07700 900123, NHS 943 476 5919, SW1A 1AA: can I be re-banded?",
        make_reply("fallback"),
    )
    assert recorder.flush()
    stored = questions(stores(make_settings()))[0][5]
    assert stored == "I'm [person], [email], [phone], NHS [NHS number], [postcode]: can I be re-banded?"


def test_user_ids_are_stored_only_as_a_keyed_hash(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    ref = recorder.record_question("mention", "how do I become a physio", make_reply("answer", "x"), user_id=USER)
    recorder.record_feedback(ref, "x", True, user_id=USER)
    recorder.record_choice(ref, "x", user_id=USER)
    assert recorder.flush()
    store = stores(make_settings())
    expected = hash_user(HASH_KEY, USER)
    assert len(expected) == 64 and expected != hash_user("another key", USER)
    assert [r[8] for r in questions(store)] == [expected]
    assert store.fetchall("SELECT user_hash FROM feedback") == [(expected,)]
    assert store.fetchall("SELECT user_hash FROM choices") == [(expected,)]
    assert USER not in everything(store)


def test_without_a_hash_key_no_user_id_is_stored_at_all(make_settings, recorders, stores):
    settings = make_settings(USER_HASH_KEY="")
    assert settings.hash_key == ""
    recorder = recorders(settings)
    ref = recorder.record_question("dm", "band 5 pay", make_reply("answer", "pay"), user_id=USER)
    recorder.record_feedback(ref, "pay", False, user_id=USER)
    assert recorder.flush()
    store = stores(settings)
    assert store.fetchall("SELECT user_hash FROM questions") == [(None,)]
    assert store.fetchall("SELECT user_hash FROM feedback") == [(None,)]
    assert USER not in everything(store)


def test_log_questions_false_keeps_outcomes_and_entries_but_no_text(make_settings, recorders, stores):
    settings = make_settings(LOG_QUESTIONS="false")
    recorder = recorders(settings)
    recorder.record_question("dm", "what does a band 4 do", make_reply("answer", "band-4", score=95))
    ref = recorder.record_question("command", "my secret question", make_reply("clarify", candidates=["a", "b"]))
    recorder.record_question("cli", "ankle sprain", make_reply("fallback", declined="clinical"))
    recorder.record_choice(ref, "a")
    assert recorder.flush()
    store = stores(settings)
    assert [r[1:] for r in questions(store)] == [
        ("dm", "answer", "band-4", 95, None, None, None, None),
        ("command", "clarify", None, 90, None, "a b", None, None),
        ("cli", "fallback", None, 90, None, None, "clinical", None),
    ]
    assert "secret" not in everything(store)


def test_claim_event_is_true_once_then_false_until_the_key_expires(make_settings, recorders):
    clock = FakeClock()
    recorder = recorders(make_settings(), clock=clock, event_ttl=3600)
    assert recorder.claim_event("Ev01") is True
    assert recorder.claim_event("Ev01") is False
    assert recorder.claim_event("Ev02") is True
    clock.advance(minutes=59)
    assert recorder.claim_event("Ev01") is False
    clock.advance(minutes=2)
    assert recorder.claim_event("Ev01") is True  # an hour later it is a new delivery, not a retry
    assert recorder.claim_event("Ev01") is False


def test_claim_event_is_shared_by_two_recorders_on_one_database(make_settings, recorders):
    first, second = recorders(make_settings()), recorders(make_settings())
    assert first.claim_event("Ev9") is True
    assert second.claim_event("Ev9") is False


def _old_and_new_rows(now: dt.datetime) -> list:
    old, new = now - dt.timedelta(days=200), now - dt.timedelta(days=10)
    rows = []
    for when, tag in ((old, "old"), (new, "new")):
        rows += [
            QuestionRow(tag, when, "dm", "fallback", None, 0, f"{tag} question", None, None, None),
            FeedbackRow(when, tag, "band-4", False, "button", None),
            ChoiceRow(when, tag, "band-4", "button", None),
        ]
    return rows


def test_retention_deletes_older_rows_when_the_store_opens(make_settings, stores):
    store = stores(make_settings())
    store.write(_old_and_new_rows(dt.datetime.now(dt.UTC)))
    assert store.count("questions") == 2

    store = stores(make_settings(RETENTION_DAYS="180"))
    assert store.fetchall("SELECT ref FROM questions") == [("new",)]
    assert store.fetchall("SELECT ref FROM feedback") == [("new",)]
    assert store.fetchall("SELECT ref FROM choices") == [("new",)]

    store = stores(make_settings(RETENTION_DAYS="5"))
    assert store.count("questions") == store.count("feedback") == store.count("choices") == 0


def test_retention_runs_at_most_once_an_hour_while_running(make_settings, recorders, stores):
    clock = FakeClock()
    recorder = recorders(make_settings(RETENTION_DAYS="30"), clock=clock)
    store = stores(make_settings(RETENTION_DAYS="30"))
    first = recorder.record_question("dm", "first", make_reply("fallback"))
    assert recorder.flush()

    clock.advance(days=31)  # `first` is now past retention; the hourly clean-up is due
    recorder.record_question("dm", "second", make_reply("fallback"))
    assert recorder.flush()
    assert [q[5] for q in questions(store)] == ["second"]

    stale = dt.datetime.fromtimestamp(clock(), dt.UTC) - dt.timedelta(days=60)
    store.write([QuestionRow(first, stale, "dm", "fallback", None, 0, "stale", None, None, None)])
    clock.advance(minutes=30)
    recorder.record_question("dm", "third", make_reply("fallback"))
    assert recorder.flush()
    assert "stale" in [q[5] for q in questions(store)]  # less than an hour since the last clean-up

    clock.advance(minutes=31)
    recorder.record_question("dm", "fourth", make_reply("fallback"))
    assert recorder.flush()
    assert [q[5] for q in questions(store)] == ["second", "third", "fourth"]


def test_many_threads_write_without_losing_a_row(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    threads, per_thread = 8, 150
    refs: list[str | None] = []
    lock = threading.Lock()

    def member(t: int) -> None:
        mine = []
        for i in range(per_thread):
            ref = recorder.record_question("dm", f"q {t} {i}", make_reply("answer", "band-4"), user_id=f"U{t}")
            recorder.record_feedback(ref, "band-4", i % 2 == 0, user_id=f"U{t}")
            recorder.record_choice(ref, "band-4")
            mine.append(ref)
        with lock:
            refs.extend(mine)

    workers = [threading.Thread(target=member, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert recorder.flush(timeout=30)
    store = stores(make_settings())
    total = threads * per_thread
    assert len(set(refs)) == total and None not in refs
    assert store.count("questions") == store.count("feedback") == store.count("choices") == total
    assert store.fetchall("SELECT COUNT(DISTINCT ref) FROM feedback")[0][0] == total


def _run_workers(url: str, mode: str, processes: int, threads: int, n: int) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.curators_log.worker", url, mode, str(threads), str(n)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # every worker has its recorder open: start them together
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            assert p.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_several_processes_write_without_losing_a_row(database_url, make_settings, stores):
    # The processes also race to create the schema on the empty database.
    processes, threads, n = 4, 3, 100
    results = _run_workers(database_url, "write", processes, threads, n)
    assert [r["recorded"] for r in results] == [threads * n] * processes
    assert all(r["dropped"] == 0 for r in results)
    store = stores(make_settings())
    total = processes * threads * n
    assert store.count("questions") == store.count("feedback") == store.count("choices") == total
    assert store.fetchall("SELECT COUNT(*) FROM schema_version")[0][0] == LATEST_VERSION


@pytest.mark.slow
def test_claim_event_has_one_winner_across_processes(database_url, make_settings, stores):
    stores(make_settings())  # the schema exists before the race: this test is about the claims
    processes, threads, n = 4, 3, 150
    results = _run_workers(database_url, "claim", processes, threads, n)
    assert all(r["failures"] == 0 for r in results), results  # no claim fell back to a process's own memory
    won = sorted(k for r in results for k in r["claimed"])
    assert won == sorted(f"Ev{k}" for k in range(n))  # every key claimed exactly once among 12 claimers


def test_store_urls(tmp_path):
    from bot.curators_log import StorageError

    assert make_store(f"sqlite:///{tmp_path}/x.db").describe() == f"SQLite file {tmp_path}/x.db"
    pg = make_store("postgresql://user:s3cret@db.example.com:5433/curators")
    assert pg.describe() == "PostgreSQL database curators on db.example.com:5433"
    assert "s3cret" not in pg.describe()
    for bad in ("mysql://x", "sqlite://", "sqlite:///:memory:"):
        with pytest.raises(StorageError):
            make_store(bad)


@pytest.mark.slow
def test_a_forked_worker_records_its_own_rows(make_settings, recorders, stores):
    # gunicorn can build the app before forking its workers: the recorder must not share connections or a
    # writer thread with the parent, and must not lose the child's rows.
    recorder = recorders(make_settings())
    recorder.record_question("dm", "parent before fork", make_reply("fallback"))
    assert recorder.flush()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            for i in range(30):
                recorder.record_question("dm", f"child {i}", make_reply("fallback"))
            status = 0 if recorder.claim_event("forked") is True else 3
            recorder.close(timeout=10)
        finally:
            os._exit(status)
    for i in range(30):
        recorder.record_question("dm", f"parent {i}", make_reply("fallback"))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert recorder.claim_event("forked") is False
    assert recorder.flush()
    store = stores(make_settings())
    assert store.fetchall("SELECT COUNT(*) FROM questions WHERE question LIKE 'child %'") == [(30,)]
    assert store.fetchall("SELECT COUNT(*) FROM questions WHERE question LIKE 'parent%'") == [(31,)]


def test_a_row_a_database_cannot_store_costs_no_other_row(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    for i in range(5):
        recorder.record_question("dm", f"before {i}", make_reply("fallback"))
    odd = recorder.record_question("dm", "band\x00 4 \ud83d pay", make_reply("fallback"))  # a NUL, half a pair
    recorder.record_choice("f" * 1_000_000, "e" * 1_000_000)  # forged button values, 1 MB each
    recorder.record_feedback(odd, "<!channel>" * 100_000, False)
    for i in range(5):
        recorder.record_question("dm", f"after {i}", make_reply("fallback"))
    assert recorder.flush(timeout=15)
    store = stores(make_settings())
    assert store.count("questions") == 11 and store.count("choices") == store.count("feedback") == 1
    assert store.fetchall("SELECT question FROM questions WHERE ref = ?", (odd,)) == [("band  4 \ufffd pay",)]
    longest = store.fetchall("SELECT MAX(LENGTH(entry_id)), MAX(LENGTH(ref)) FROM choices")[0]
    assert longest[0] <= 200 and longest[1] <= 64


def test_nothing_about_a_member_reaches_the_log(outage, make_settings, recorders, caplog):
    caplog.set_level(logging.DEBUG)
    member, conversation = "U0PRIV0001", "D0PRIV0001"
    question = "I'm Sarah Jones, jo.bloggs@nhs.net, 07700 900123: can I be re-banded?"
    recorder = recorders(make_settings(outage.url), retry_after=60, claim_timeout=0.5)

    def everything_once(tag: str) -> None:
        ref = recorder.record_question("dm", question, make_reply("answer", "rebanding"), user_id=member)
        recorder.record_feedback(ref, "rebanding", False, user_id=member)
        recorder.record_choice(ref, "rebanding", user_id=member)
        recorder.record_flag(ref, "rebanding", user_id=member)
        recorder.claim_event(f"Ev-{tag}")
        recorder.set_member_nation(member, "wales")
        recorder.member_nation(member)
        recorder.put_context(conversation, {"entry": "rebanding", "said": question})
        recorder.put_context(conversation, {"said": question * 20})  # too big: refused
        recorder.get_context(conversation)
        recorder.record_question("dm", question, object(), user_id=member)  # not a reply: the guard
        recorder.report_text()

    everything_once("up")
    assert recorder.flush()
    outage.cut()
    everything_once("down")
    outage.restore()
    assert recorder.flush(timeout=30)
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name.startswith("bot.curators_log")
    )
    assert "failed" in logged  # the outage was logged ...
    for secret in (member, conversation, hash_user(HASH_KEY, member), "Sarah", "jo.bloggs", "07700", "re-banded"):
        assert secret not in logged  # ... but nothing about the member
