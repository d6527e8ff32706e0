"""When the database goes away or hangs, members still get their answers at once; the rows land when it is back.

PostgreSQL is reached through a local TCP proxy that the test cuts (as if the server or network went down) or
stalls (as if it hung), so the shared test server keeps running. SQLite's way to fail under a running bot is a
file held locked by another process; a path that cannot be created stands for a disk that cannot be written.
"""

from __future__ import annotations

import logging
import time

import pytest

from bot.curators_log import UNAVAILABLE
from tests.curators_log.helpers import closed_port, make_reply, timed

QUESTIONS = [
    ("how do I become a physio", make_reply("answer", "become-a-physio")),
    ("what does a band 4 do", make_reply("answer", "band-4")),
    ("can I claim mileage for home visits", make_reply("fallback", score=20)),
    ("is there an apprenticeship to become a physiotherapist", make_reply("clarify", candidates=["a", "b"])),
    ("what is the weather in Leeds", make_reply("fallback", declined="smalltalk")),
]


def storage_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.curators_log" and r.levelno >= logging.WARNING]


def ask_many(recorder, n: int, tag: str) -> tuple[float, float]:
    """n members ask and get their answers; returns the slowest record_* call and the slowest claim_event."""
    slowest_record = slowest_claim = 0.0
    for i in range(n):
        question, reply = QUESTIONS[i % len(QUESTIONS)]
        ref, took = timed(recorder.record_question, "dm", question, reply, user_id="U1")
        slowest_record = max(slowest_record, took)
        _, took = timed(recorder.record_feedback, ref, "band-4", False)
        slowest_record = max(slowest_record, took)
        claimed, took = timed(recorder.claim_event, f"{tag}-{i}")
        assert claimed is True
        slowest_claim = max(slowest_claim, took)
    return slowest_record, slowest_claim


def test_answers_continue_when_the_database_goes_away_mid_run(outage, make_settings, recorders, stores, caplog):
    caplog.set_level(logging.INFO, logger="bot.curators_log")
    settings = make_settings(outage.url)
    recorder = recorders(settings, retry_after=60)
    ask_many(recorder, 3, "before")
    assert recorder.flush()

    outage.cut()
    started = time.perf_counter()
    slowest_record, slowest_claim = ask_many(recorder, 40, "during")
    assert recorder.claim_event("during-7") is False  # a retried delivery is still caught, in memory
    assert recorder.claim_event("before-1") is False  # claimed in the database before it went away
    assert slowest_record < 0.25  # a held lock or a hung server would take seconds
    assert slowest_claim < 2.5  # the first claim finds out (bounded); later ones do not wait at all
    assert time.perf_counter() - started < 5
    assert 1 <= len(storage_warnings(caplog)) <= 2  # logged, but not once per call

    outage.restore()
    assert recorder.flush(timeout=30)  # nothing was lost: the queued rows land
    store = stores(settings)
    assert store.count("questions") == store.count("feedback") == 43
    assert any("working again" in r.getMessage() for r in caplog.records)


# A hung SQLite file is a held lock: the test above covers it.
@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_answers_continue_when_the_database_hangs(outage, make_settings, recorders, stores):
    settings = make_settings(outage.url)
    recorder = recorders(settings, retry_after=60)
    assert recorder.claim_event("before") is True

    outage.stall()  # connections stay open but nothing comes back
    slowest_record, slowest_claim = ask_many(recorder, 20, "during")
    assert slowest_record < 0.25  # a held lock or a hung server would take seconds
    assert slowest_claim < 2.5
    text, took = timed(recorder.report_text)
    assert text == UNAVAILABLE and took < 1

    outage.restore()
    assert recorder.flush(timeout=30)
    assert stores(settings).count("questions") == 20


@pytest.fixture
def unreachable_url(backend, database_url, tmp_path):
    """A database that is never there: a port nobody listens on, or a folder that cannot be created."""
    if backend == "sqlite":
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the database folder should be")
        return f"sqlite:///{blocker}/data/curators.sqlite3"
    return f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"


def test_an_unreachable_database_costs_members_nothing(unreachable_url, make_settings, recorders, caplog):
    caplog.set_level(logging.INFO, logger="bot.curators_log")
    recorder, took = timed(recorders, make_settings(unreachable_url))
    assert took < 5
    slowest_record, slowest_claim = ask_many(recorder, 30, "ev")
    assert slowest_record < 0.25 and slowest_claim < 0.25
    assert recorder.claim_event("ev-3") is False
    text, took = timed(recorder.report_text)
    assert text == UNAVAILABLE and took < 1
    assert 1 <= len(storage_warnings(caplog)) <= 3

    _, took = timed(recorder.close, timeout=0.5)
    assert took < 3
    assert any("were not stored" in r.getMessage() for r in caplog.records)


def test_the_report_command_explains_an_unreachable_database(unreachable_url, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", unreachable_url)
    assert main(["report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physio-career report: ") and "database" in err
    assert "Traceback" not in err
