"""The curators' report on a known data set: counts, grouped unanswered questions, 👎 and suggested alternates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from bot.curators_log.report import build_report, group_questions, parse_since, render_report
from tests.curators_log.helpers import FakeClock, make_reply

# Recent enough that RETENTION_DAYS (counted from the real date when a store opens) keeps every row.
NOW = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)


def day(when: dt.datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def record_known_data(recorder, clock: FakeClock) -> None:
    """Fifteen questions in the last 30 days, and a few older ones the report must leave out."""
    clock.set(NOW - dt.timedelta(days=40))
    recorder.record_question("dm", "how do i claim mileage", make_reply("fallback"))
    old = recorder.record_question("dm", "what does a band 4 do", make_reply("answer", "band-4"))
    recorder.record_feedback(old, "band-4", False)

    clock.set(NOW - dt.timedelta(days=20))
    band5 = [
        recorder.record_question(surface, "what does a band 5 do", make_reply("answer", "band-5"))
        for surface in ("dm", "dm", "command", "command")
    ]
    for ref in band5[:3]:
        recorder.record_feedback(ref, "band-5", False)
    recorder.record_feedback(band5[0], "band-5", False)  # the same member pressing 👎 twice counts once
    recorder.record_feedback(band5[3], "band-5", True)

    for surface, question in [
        ("dm", "How do I claim mileage?"),
        ("mention", "How do I claim mileage?"),
        ("command", "how do i claim mileage"),
        ("dm", "how do i claim my mileage"),
        ("dm", "can I claim mileage for home visits"),
        ("dm", "where can I park at work"),
        ("mention", "Where can I park at work?"),
    ]:
        recorder.record_question(surface, question, make_reply("fallback", score=30))
    recorder.record_question("dm", "should I ice my sprained ankle", make_reply("fallback", declined="clinical"))

    clock.set(NOW - dt.timedelta(days=2))
    for question, chosen in [
        ("apprenticeship", "physio-apprenticeship"),
        ("apprenticeships", "physio-apprenticeship"),
        ("band four", "band-4"),
        ("band", "none-of-these"),  # the member pressed "None of these": not an alternate for anything
    ]:
        ref = recorder.record_question("command", question, make_reply("clarify", candidates=["a", "b"]))
        if chosen:
            recorder.record_choice(ref, chosen)
            if chosen == "band-4":
                recorder.record_choice(ref, chosen)  # pressed twice: still one suggestion
                recorder.record_feedback(ref, "band-4", False)
    toolkit = recorder.record_question("chat", "job description toolkit", make_reply("answer", "toolkit"))
    recorder.record_feedback(toolkit, "toolkit", True)
    assert recorder.flush()


@pytest.fixture
def report_store(make_settings, recorders, stores):
    clock = FakeClock(NOW)
    recorder = recorders(make_settings(), clock=clock)
    record_known_data(recorder, clock)
    return stores(make_settings())


def test_counts_by_outcome_and_surface(report_store):
    report = build_report(report_store, since="30d", now=NOW)
    assert report.questions == 17
    assert report.by_outcome == {"fallback": 8, "answer": 5, "clarify": 4}
    assert report.by_surface == {"dm": 7, "command": 7, "mention": 2, "chat": 1}
    assert report.by_outcome_and_surface["fallback"] == {"command": 1, "dm": 5, "mention": 2}
    assert (report.helpful, report.unhelpful, report.choices) == (2, 4, 5)


def test_unanswered_questions_are_grouped_and_counted(report_store):
    report = build_report(report_store, since="30d", now=NOW)
    groups = [(g.question, g.count, g.variants) for g in report.unanswered]
    assert groups == [
        ("How do I claim mileage?", 4, ["how do i claim mileage", "how do i claim my mileage"]),
        ("apprenticeship", 2, ["apprenticeships"]),
        ("Where can I park at work?", 2, ["where can I park at work"]),
        ("band", 1, []),
        ("band four", 1, []),
        ("can I claim mileage for home visits", 1, []),
        ("should I ice my sprained ankle", 1, []),
    ]
    by_text = {g.question: g for g in report.unanswered}
    assert by_text["apprenticeship"].outcomes == {"clarify": 2}
    assert by_text["How do I claim mileage?"].outcomes == {"fallback": 4}
    assert by_text["should I ice my sprained ankle"].declined == 1
    assert by_text["How do I claim mileage?"].declined == 0
    assert by_text["band"].none_of_these == 1 and by_text["band four"].none_of_these == 0
    assert report.unanswered_without_text == 0


def test_entries_with_the_most_thumbs_down_come_first(report_store):
    report = build_report(report_store, since="30d", now=NOW)
    assert [(f.entry_id, f.unhelpful, f.helpful, f.questions) for f in report.most_unhelpful] == [
        ("band-5", 3, 1, ["what does a band 5 do"]),
        ("band-4", 1, 0, ["band four"]),  # the 👎 from 40 days ago is outside the period
    ]


def test_suggested_alternates_come_from_choices_after_clarify_or_fallback(report_store):
    report = build_report(report_store, since="30d", now=NOW)
    assert [(a.entry_id, a.question, a.count, a.variants) for a in report.alternates] == [
        ("physio-apprenticeship", "apprenticeship", 2, ["apprenticeships"]),
        ("band-4", "band four", 1, []),
    ]


def test_the_period_filters_rows(report_store):
    week = build_report(report_store, since="7d", now=NOW)
    assert week.questions == 5 and week.by_outcome == {"clarify": 4, "answer": 1}
    everything = build_report(report_store, since="all", now=NOW)
    assert everything.questions == 19
    assert everything.unanswered[0].count == 5  # the old "how do i claim mileage" joins its group
    dated = build_report(report_store, since=(NOW - dt.timedelta(days=21)).date().isoformat(), now=NOW)
    assert dated.questions == 17


def test_text_is_readable_by_a_volunteer(report_store):
    text = render_report(build_report(report_store, since="30d", now=NOW), "text")
    assert text.startswith(f"physio-career report: {day(NOW - dt.timedelta(days=30))} to {day(NOW)} (since 30d)")
    assert "Questions asked: 17" in text
    assert "Outcome: not answered 8, answered 5, asked 'did you mean' 4" in text
    assert "Where: slash command 7, direct message 7, mention in a channel 2, terminal chat 1" in text
    assert "    4 x  How do I claim mileage?\n" in text
    assert 'also asked as: "how do i claim mileage"; "how do i claim my mileage"' in text
    assert "1 x  should I ice my sprained ankle  [declined on purpose 1]" in text
    assert "1 x  band  [did you mean 1, none of these 1]" in text
    assert "band-5: 3 not helpful, 1 helpful" in text
    assert 'physio-apprenticeship  <-  "apprenticeship"  (2 x)' in text
    assert "nothing is added automatically" in text


def test_csv_has_one_row_per_item(report_store):
    rows = list(csv.DictReader(io.StringIO(render_report(build_report(report_store, now=NOW), "csv"))))
    assert list(rows[0]) == [
        "section",
        "item",
        "entry_id",
        "count",
        "detail",
        "outcome",
        "first_asked",
        "last_asked",
    ]
    assert {(r["item"], r["count"]) for r in rows if r["section"] == "outcome"} == {
        ("fallback", "8"),
        ("answer", "5"),
        ("clarify", "4"),
    }
    unanswered = [(r["item"], int(r["count"])) for r in rows if r["section"] == "unanswered"]
    assert unanswered[0] == ("How do I claim mileage?", 4) and len(unanswered) == 7
    assert [(r["entry_id"], r["item"], r["count"]) for r in rows if r["section"] == "suggested alternate"] == [
        ("physio-apprenticeship", "apprenticeship", "2"),
        ("band-4", "band four", "1"),
    ]
    assert [(r["entry_id"], r["count"]) for r in rows if r["section"] == "not helpful"] == [
        ("band-5", "3"),
        ("band-4", "1"),
    ]


def test_json_holds_the_whole_report(report_store):
    data = json.loads(render_report(build_report(report_store, now=NOW), "json"))
    assert data["questions"] == 17
    assert data["unanswered"][0]["question"] == "How do I claim mileage?"
    assert data["unanswered"][0]["count"] == 4
    assert data["alternates"][0] == {
        "entry_id": "physio-apprenticeship",
        "question": "apprenticeship",
        "count": 2,
        "variants": ["apprenticeships"],
    }


def test_without_question_text_the_report_still_counts(make_settings, recorders, stores):
    settings = make_settings(LOG_QUESTIONS="false")
    recorder = recorders(settings)
    recorder.record_question("dm", "how do i claim mileage", make_reply("fallback"))
    recorder.record_question("dm", "what does a band 4 do", make_reply("answer", "band-4"))
    assert recorder.flush()
    report = build_report(stores(settings))
    assert report.by_outcome == {"fallback": 1, "answer": 1}
    assert report.unanswered == [] and report.unanswered_without_text == 1
    assert "1 more without their text: LOG_QUESTIONS was off" in render_report(report)


def test_the_slack_report_is_the_same_summary(make_settings, recorders):
    recorder = recorders(make_settings())
    recorder.record_question("mention", "where can I park at work", make_reply("fallback"))
    text = recorder.report_text(since="7d")  # what /physio-career report shows an admin
    assert "Questions asked: 1" in text and "1 x  where can I park at work" in text
    assert recorder.report_text(since="last tuesday").startswith("Sorry, the period must be like 7d")


def test_the_report_command(make_settings, recorders, monkeypatch, capsys, database_url):
    from bot.cli import main

    recorder = recorders(make_settings())
    for q in ("how do i claim mileage", "How do I claim mileage?"):
        recorder.record_question("cli", q, make_reply("fallback"))
    assert recorder.flush()
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["report", "--since", "30d", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by_surface"] == {"cli": 2}
    assert [(g["question"], g["count"]) for g in data["unanswered"]] == [("How do I claim mileage?", 2)]
    assert main(["report", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith(
        "section,item,entry_id,count,detail,outcome,first_asked,last_asked\nperiod,30d,,2,"
    )
    assert main(["report", "--since", "soon"]) == 2
    assert "the period must be like 7d, 30d, 12w" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("30d", NOW - dt.timedelta(days=30)),
        ("7D", NOW - dt.timedelta(days=7)),
        ("12w", NOW - dt.timedelta(weeks=12)),
        ("24h", NOW - dt.timedelta(hours=24)),
        ("2026-01-31", dt.datetime(2026, 1, 31, tzinfo=dt.UTC)),
        ("2026-01-31T09:30:00+01:00", dt.datetime(2026, 1, 31, 8, 30, tzinfo=dt.UTC)),
        ("all", dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_parse_since(since, expected):
    assert parse_since(since, NOW) == expected


@pytest.mark.parametrize("since", ["", "soon", "30", "d30", "-3d", "2026-13-01"])
def test_parse_since_refuses_nonsense(since):
    with pytest.raises(ValueError, match="the period must be like"):
        parse_since(since, NOW)


def test_grouping_keeps_different_questions_apart():
    groups = group_questions(
        ["How do I claim mileage?", "how do i claim my mileage", "claim mileage how", "mileage claims", "band"]
    )
    assert [(q, n) for q, n, _ in groups] == [("How do I claim mileage?", 3), ("band", 1), ("mileage claims", 1)]


# --- flags, answers per entry, questions asked again (B3) --------------------------------------------------------
def record_signals(recorder, clock: FakeClock) -> None:
    clock.set(NOW - dt.timedelta(days=3))
    a1 = recorder.record_question("dm", "band 4 pay", make_reply("answer", "band-4"), user_id="UA")
    clock.advance(seconds=90)  # the same member asks again: the answer missed
    recorder.record_question("dm", "how much is a band 4 paid", make_reply("answer", "pay-rates"), user_id="UA")
    clock.advance(minutes=10)  # long after: not a sign of anything
    recorder.record_question("dm", "what about band 5", make_reply("answer", "band-5"), user_id="UA")
    b1 = recorder.record_question("command", "band4", make_reply("answer", "band-4"), user_id="UB")
    clock.advance(seconds=60)  # a button: the member chose a related question, they did not ask again
    recorder.record_question("button", "What does a band 5 do?", make_reply("answer", "band-5"), user_id="UB")
    clock.advance(minutes=3)
    recorder.record_question("dm", "apprenticeship", make_reply("answer", "apprenticeship"), user_id="UB")
    clock.advance(seconds=30)  # another member, moments after UB: not UB asking again
    recorder.record_question("dm", "pay", make_reply("answer", "pay-rates", stale=True), user_id="UC")
    recorder.record_flag(a1, "band-4", user_id="UA")
    recorder.record_flag(a1, "band-4", user_id="UA")  # pressed twice: counts once
    recorder.record_flag(b1, "band-4", reason="not-what-i-asked", user_id="UB")
    recorder.record_feedback(b1, "band-4", False, user_id="UB")
    assert recorder.flush()


@pytest.fixture
def signals_store(make_settings, recorders, stores):
    clock = FakeClock(NOW)
    record_signals(recorders(make_settings(), clock=clock), clock)
    return stores(make_settings())


def test_flags_answers_thumbs_and_questions_asked_again_per_entry(signals_store):
    report = build_report(signals_store, since="30d", now=NOW)
    assert (report.flags, report.asked_again) == (2, 1)
    assert [(f.entry_id, f.flagged, f.answers, f.questions) for f in report.flagged] == [
        ("band-4", 2, 2, ["band 4 pay", "band4"])
    ]
    entries = {e.entry_id: e for e in report.entries}
    assert [e.entry_id for e in report.entries] == ["band-4", "band-5", "pay-rates", "apprenticeship"]
    band4 = entries["band-4"]
    assert (band4.answers, band4.unhelpful, band4.helpful, band4.flagged, band4.asked_again) == (2, 1, 0, 2, 1)
    assert (entries["pay-rates"].answers, entries["pay-rates"].stale, entries["pay-rates"].asked_again) == (2, 1, 0)
    assert entries["band-5"].asked_again == 0 and entries["apprenticeship"].asked_again == 0
    assert band4.first_asked == (NOW - dt.timedelta(days=3)).isoformat(timespec="seconds")

    text = render_report(report, "text")
    assert "Flagged 'not what I asked': 2. Asked again within 2 minutes of an answer: 1" in text
    assert "  band-4: 2 flagged, of 2 answers" in text
    assert "  band-4: 1 of 2 answers" in text
    assert "  pay-rates: 1 of 2 answers" in text  # given while its figures were past valid_until


def test_the_csv_has_the_outcome_the_entry_counts_and_first_and_last_asked(signals_store, report_store):
    rows = list(csv.DictReader(io.StringIO(render_report(build_report(signals_store, now=NOW), "csv"))))
    entry_rows = {(r["entry_id"], r["item"]): r for r in rows if r["section"] == "entry"}
    answers = entry_rows[("band-4", "answers")]
    assert (answers["count"], answers["outcome"]) == ("2", "answer")
    assert answers["first_asked"] < answers["last_asked"]
    assert entry_rows[("band-4", "not what I asked")]["count"] == "2"
    assert entry_rows[("band-4", "asked again within 2 minutes")]["count"] == "1"
    assert entry_rows[("pay-rates", "answered past valid_until")]["count"] == "1"
    assert [(r["entry_id"], r["count"]) for r in rows if r["section"] == "not what I asked"] == [("band-4", "2")]

    rows = list(csv.DictReader(io.StringIO(render_report(build_report(report_store, now=NOW), "csv"))))
    mileage = next(r for r in rows if r["section"] == "unanswered")
    assert (mileage["item"], mileage["outcome"]) == ("How do I claim mileage?", "fallback")
    twenty_days_ago = (NOW - dt.timedelta(days=20)).isoformat(timespec="seconds")
    assert mileage["first_asked"] == mileage["last_asked"] == twenty_days_ago


def test_nation_and_guard_are_stored_with_each_question(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    recorder.record_question("dm", "band 5 pay", make_reply("answer", "pay-rates", nation="scotland"))
    recorder.record_question("dm", "band 5 pay", make_reply("answer", "pay-rates"), nation="wales")
    recorder.record_question("dm", "sprained ankle", make_reply("fallback", guard="clinical"))
    recorder.record_question("dm", "band 5", make_reply("answer", "band-5"))
    assert recorder.flush()
    rows = stores(make_settings()).fetchall("SELECT nation, guard, stale FROM questions ORDER BY created_at")
    assert [(n, g, bool(s)) for n, g, s in rows] == [
        ("scotland", None, False),
        ("wales", None, False),
        (None, "clinical", False),
        (None, None, False),
    ]


# --- spreadsheet formula injection (8.7) --------------------------------------------------------------------
FORMULAS = [
    '=HYPERLINK("https://evil.example","click") zzqx',
    "+cmd|' /C calc'!A0 zzqx",
    "-2+3+cmd|' /C calc'!A0 zzqx",
    "@SUM(1+1)*cmd|' /C calc'!A0 zzqx",
    "\t=1+1 zzqx tab",
    "\r=1+1 zzqx return",
]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    refs = [recorder.record_question("dm", q, make_reply("fallback")) for q in FORMULAS]
    recorder.record_choice(refs[0], "=cmd|' /C calc'!A0")  # forged button values
    recorder.record_feedback(refs[1], "+evil", False)
    recorder.record_flag(refs[1], "@evil")
    assert recorder.flush()
    text = render_report(build_report(stores(make_settings()), now=dt.datetime.now(dt.UTC)), "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
    assert '\'=HYPERLINK("https://evil.example","click") zzqx' in cells
    assert "'+evil" in cells and "'@evil" in cells


def test_since_a_date_in_the_future_is_refused():
    import datetime as dt

    from bot.curators_log.report import parse_since

    now = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert parse_since("2026-12-01", now) < now
    with pytest.raises(ValueError, match="in the future"):
        parse_since("2027-01-01", now)
