"""The curators' report: what members asked that the bot could not answer, and what they thought of its answers.

`build_report(store, since="30d")` reads the curators' log; `render_report(report, "text" | "csv" | "json")` prints
it. The report turns the log into work for a curator:

- questions the bot could not answer (fallback) or was unsure about (clarify), with near-duplicates grouped
  (rapidfuzz) and counted, most asked first: candidates for new entries;
- the entries with the most 👎: answers to rewrite;
- the answers members flagged "not what I asked", and the answers after which the same member asked again within
  two minutes (a sign the answer missed): entries to check;
- per entry: how often it was given, its 👍/👎, flags, questions asked again, and answers given while its
  figures were past their valid_until;
- suggested alternates: questions that led to a clarify or fallback after which the member picked an entry.
  They are offered for a curator to add to that entry's alternates; nothing is ever added automatically.

The CSV is for a spreadsheet: any cell that a spreadsheet would read as a formula (starting with =, +, -, @, a
tab or a carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz, process

from bot.brain.text import normalise
from bot.errors import UsageError

UTC = dt.UTC
# The choice recorded when a member presses "None of these" (bot.slack.ids.NONE_CHOICE): not an entry.
NONE_OF_THESE = "none-of-these"
SIMILARITY = 85  # rapidfuzz token_sort_ratio at or above which two questions count as the same question
TEXT_LIMIT = 15  # rows per section in the text format; csv and json list everything
ASKED_AGAIN_WITHIN = dt.timedelta(minutes=2)  # a member's next question this soon after an answer: it missed
OUTCOME_LABELS = {
    "answer": "answered",
    "clarify": "asked 'did you mean'",
    "fallback": "not answered",
    "help": "help",
}
SURFACE_LABELS = {
    "command": "slash command",
    "dm": "direct message",
    "mention": "mention in a channel",
    "chat": "terminal chat",
    "cli": "command line",
    "button": "button",
}
_SINCE = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$", re.IGNORECASE)


class PeriodError(UsageError, ValueError):
    """A --since (or /physio-career report) period that cannot be read; the message says what to type instead."""


@dataclass
class QuestionGroup:
    """Questions that read as the same question: the most common wording, how often, and other wordings."""

    question: str
    count: int
    variants: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    declined: int = 0  # how many the bot declined on purpose (a clinical question)
    none_of_these: int = 0  # how many times a member said none of the suggestions fitted
    last_asked: str | None = None
    first_asked: str | None = None


@dataclass
class EntryFeedback:
    entry_id: str
    unhelpful: int
    helpful: int
    questions: list[str] = field(default_factory=list)  # what was asked when members pressed 👎


@dataclass
class EntryFlags:
    entry_id: str
    flagged: int
    answers: int
    questions: list[str] = field(default_factory=list)  # what was asked when members said "not what I asked"


@dataclass
class EntryStats:
    """One entry over the period: how often it was the answer, and every sign of how well it did."""

    entry_id: str
    answers: int = 0
    helpful: int = 0
    unhelpful: int = 0
    flagged: int = 0  # "not what I asked"
    asked_again: int = 0  # answers after which the same member asked again within two minutes
    stale: int = 0  # answers given while the entry's figures were past their valid_until
    first_asked: str | None = None
    last_asked: str | None = None


@dataclass
class AlternateSuggestion:
    entry_id: str
    question: str
    count: int
    variants: list[str] = field(default_factory=list)


@dataclass
class Report:
    since: str
    start: str
    end: str
    questions: int
    by_outcome: dict[str, int]
    by_surface: dict[str, int]
    by_outcome_and_surface: dict[str, dict[str, int]]
    helpful: int
    unhelpful: int
    choices: int
    unanswered: list[QuestionGroup]
    unanswered_without_text: int
    most_unhelpful: list[EntryFeedback]
    alternates: list[AlternateSuggestion]
    flags: int = 0
    asked_again: int = 0
    flagged: list[EntryFlags] = field(default_factory=list)
    entries: list[EntryStats] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_since(since: str, now: dt.datetime | None = None) -> dt.datetime:
    """'24h', '7d', '30d', '12w', 'all' or an ISO date (2026-01-31) -> the start of the period, in UTC."""
    now = now or dt.datetime.now(UTC)
    text = (since or "").strip()
    m = _SINCE.match(text)
    if m:
        amount, unit = int(m.group(1)), m.group(2).lower()
        return now - dt.timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
    if text.lower() == "all":
        return dt.datetime(1970, 1, 1, tzinfo=UTC)
    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"the period must be like 7d, 30d, 12w or a date such as 2026-01-31, not {since!r}") from None
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    if start > now:
        raise PeriodError(
            f"--since {since} is in the future (today is {now:%Y-%m-%d}): give a past date, or a period such as 30d"
        )
    return start


def group_questions(questions: list[str], threshold: int = SIMILARITY) -> list[tuple[str, int, list[str]]]:
    """Group near-duplicate questions: (most common wording, count, other wordings), biggest group first.

    Questions are compared after normalising (case, punctuation, Slack markup) with rapidfuzz's token_sort_ratio,
    so word order does not matter. Each question joins the group of the most similar question placed so far, if
    that scores `threshold` or more; the most frequent wordings are placed first.
    """
    wordings: dict[str, Counter] = defaultdict(Counter)  # normalised -> how each original wording was typed
    for q in questions:
        key = normalise(q)
        if key:
            wordings[key][q.strip()] += 1
    order = sorted(wordings, key=lambda k: (-sum(wordings[k].values()), k))
    groups: list[list[str]] = []
    placed: list[str] = []  # every key placed so far ...
    group_of: list[int] = []  # ... and the group it is in
    for key in order:
        best = process.extractOne(key, placed, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
        if best is None:
            groups.append([key])
            index = len(groups) - 1
        else:
            index = group_of[best[2]]
            groups[index].append(key)
        placed.append(key)
        group_of.append(index)
    out = []
    for keys in groups:
        typed: Counter[str] = Counter()
        for key in keys:
            typed.update(wordings[key])
        ranked = [w for w, _ in sorted(typed.items(), key=lambda item: (-item[1], item[0]))]
        out.append((ranked[0], sum(typed.values()), ranked[1:]))
    out.sort(key=lambda g: (-g[1], g[0].lower()))
    return out


def build_report(store, since: str = "30d", *, now: dt.datetime | None = None) -> Report:
    """Read the log from `since` until now and work out what a curator should look at."""
    end = now or dt.datetime.now(UTC)
    start = parse_since(since, end)
    # Anything recorded up to a second from now counts as "now" (clocks of several processes differ a little).
    until = end + dt.timedelta(seconds=1)

    by_outcome: Counter = Counter()
    by_surface: Counter = Counter()
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for outcome, surface, n in store.outcome_counts(start, until):
        by_outcome[outcome] += n
        by_surface[surface] += n
        table[outcome][surface] = n

    choices = store.choices_after_unanswered(start, until)
    none_chosen = Counter(normalise(q) for _ref, e, q, _o in choices if e == NONE_OF_THESE)

    # Unanswered questions, grouped.
    texts: list[str] = []
    meta: dict[str, list[tuple[str, str | None, dt.datetime]]] = defaultdict(list)
    without_text = 0
    for question, outcome, declined, when in store.unanswered(start, until):
        if not question:
            without_text += 1
            continue
        texts.append(question)
        meta[normalise(question)].append((outcome, declined, when))
    unanswered = []
    for leader, count, variants in group_questions(texts):
        keys = {normalise(wording) for wording in (leader, *variants)}  # two wordings may share a key
        rows = [m for key in keys for m in meta[key]]
        unanswered.append(
            QuestionGroup(
                question=leader,
                count=count,
                variants=variants,
                outcomes=dict(Counter(o for o, _, _ in rows)),
                declined=sum(1 for _, d, _ in rows if d),
                none_of_these=sum(none_chosen[key] for key in keys),
                last_asked=max(w for _, _, w in rows).isoformat(timespec="seconds") if rows else None,
                first_asked=min(w for _, _, w in rows).isoformat(timespec="seconds") if rows else None,
            )
        )

    # 👍 and 👎 per entry; a double press on the same answer counts once.
    seen: set[tuple[str, str, bool]] = set()
    votes: dict[str, Counter] = defaultdict(Counter)
    asked: dict[str, list[str]] = defaultdict(list)
    helpful = unhelpful = 0
    for ref, entry_id, is_helpful, question in store.feedback_rows(start, until):
        if ref is not None:
            if (ref, entry_id, is_helpful) in seen:
                continue
            seen.add((ref, entry_id, is_helpful))
        votes[entry_id]["up" if is_helpful else "down"] += 1
        helpful += is_helpful
        unhelpful += not is_helpful
        if not is_helpful and question and question not in asked[entry_id]:
            asked[entry_id].append(question)
    most_unhelpful = sorted(
        (EntryFeedback(e, v["down"], v["up"], asked[e][:5]) for e, v in votes.items() if v["down"]),
        key=lambda f: (-f.unhelpful, f.helpful, f.entry_id),
    )

    # Per entry: answers given, 👍/👎 (as counted above), flags, questions asked again, stale answers.
    stats: dict[str, EntryStats] = {}

    def entry(entry_id: str) -> EntryStats:
        return stats.setdefault(entry_id, EntryStats(entry_id))

    for entry_id, n, first, last, stale in store.answers(start, until):
        e = entry(entry_id)
        e.answers, e.stale = n, stale
        e.first_asked, e.last_asked = _iso(first), _iso(last)
    for entry_id, v in votes.items():
        entry(entry_id).helpful, entry(entry_id).unhelpful = v["up"], v["down"]

    flagged_seen: set[tuple[str, str]] = set()
    flag_questions: dict[str, list[str]] = defaultdict(list)
    flags = 0
    for ref, entry_id, _reason, question in store.flag_rows(start, until):
        if ref is not None:
            if (ref, entry_id) in flagged_seen:
                continue  # pressed twice on the same answer
            flagged_seen.add((ref, entry_id))
        flags += 1
        entry(entry_id).flagged += 1
        if question and question not in flag_questions[entry_id]:
            flag_questions[entry_id].append(question)
    flagged = sorted(
        (
            EntryFlags(e.entry_id, e.flagged, e.answers, flag_questions[e.entry_id][:5])
            for e in stats.values()
            if e.flagged
        ),
        key=lambda f: (-f.flagged, f.entry_id),
    )

    asked_again = 0
    for entry_id in _asked_again(store.questions_by_member(start, until)):
        entry(entry_id).asked_again += 1
        asked_again += 1
    entries = sorted(stats.values(), key=lambda e: (-e.answers, e.entry_id))

    # Suggested alternates: per chosen entry, the questions that led there, grouped.
    by_entry: dict[str, list[str]] = defaultdict(list)
    for _ref, entry_id, question, _outcome in choices:
        if entry_id != NONE_OF_THESE:
            by_entry[entry_id].append(question)
    alternates = [
        AlternateSuggestion(entry_id, leader, count, variants)
        for entry_id, questions in by_entry.items()
        for leader, count, variants in group_questions(questions)
    ]
    alternates.sort(key=lambda a: (-a.count, a.entry_id, a.question.lower()))

    return Report(
        since=since,
        start=start.isoformat(timespec="seconds"),
        end=end.isoformat(timespec="seconds"),
        questions=sum(by_outcome.values()),
        by_outcome=_ranked(by_outcome),
        by_surface=_ranked(by_surface),
        by_outcome_and_surface={o: dict(sorted(s.items())) for o, s in sorted(table.items())},
        helpful=helpful,
        unhelpful=unhelpful,
        choices=store.choice_count(start, until),
        unanswered=unanswered,
        unanswered_without_text=without_text,
        most_unhelpful=most_unhelpful,
        alternates=alternates,
        flags=flags,
        asked_again=asked_again,
        flagged=flagged,
        entries=entries,
    )


def _asked_again(rows: list[tuple[str, dt.datetime, str, str | None, str, str | None]]) -> list[str]:
    """The entries of answers after which the same member's next question came within ASKED_AGAIN_WITHIN.

    `rows` are (member, when, outcome, entry, surface, question) in order of member then time. A button press
    (a related question, a topic) is the member choosing, not asking again, so it never counts as the next question.
    """
    missed = []
    for (member, when, outcome, entry_id, _s, _q), (member2, when2, _o, _e, surface2, _q2) in zip(
        rows, rows[1:], strict=False
    ):
        if member == member2 and outcome == "answer" and entry_id and surface2 != "button":
            if dt.timedelta(0) <= when2 - when <= ASKED_AGAIN_WITHIN:
                missed.append(entry_id)
    return missed


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="seconds")


def _ranked(counts: Counter) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# --- rendering ----------------------------------------------------------------------------------------------
def render_report(report: Report, fmt: str = "text") -> str:
    if fmt == "text":
        return _text(report)
    if fmt == "csv":
        return _csv(report)
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
    raise ValueError(f"the format must be text, csv or json, not {fmt!r}")


def _day(iso: str) -> str:
    d = dt.datetime.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def _counts(counts: dict[str, int], labels: dict[str, str]) -> str:
    return ", ".join(f"{labels.get(k, k)} {n}" for k, n in counts.items()) or "none"


def _more(total: int, shown: int) -> list[str]:
    return [f"  ...and {total - shown} more (use --format csv to see them all)"] if total > shown else []


def _text(r: Report) -> str:
    lines = [
        f"physio-career report: {_day(r.start)} to {_day(r.end)} (since {r.since})",
        "",
        f"Questions asked: {r.questions}",
        f"  Outcome: {_counts(r.by_outcome, OUTCOME_LABELS)}",
        f"  Where: {_counts(r.by_surface, SURFACE_LABELS)}",
        f"Feedback: {r.helpful} helpful (👍), {r.unhelpful} not helpful (👎). 'Did you mean' choices: {r.choices}",
        f"Flagged 'not what I asked': {r.flags}. Asked again within 2 minutes of an answer: {r.asked_again}",
        "",
    ]
    n_unanswered = r.by_outcome.get("clarify", 0) + r.by_outcome.get("fallback", 0)
    lines.append(f"Questions the bot could not answer or was unsure about ({n_unanswered}), most asked first:")
    if not r.unanswered:
        lines.append("  none")
    for g in r.unanswered[:TEXT_LIMIT]:
        notes = []
        if g.declined:
            notes.append(f"declined on purpose {g.declined}")
        if g.outcomes.get("clarify"):
            notes.append(f"did you mean {g.outcomes['clarify']}")
        if g.none_of_these:
            notes.append(f"none of these {g.none_of_these}")
        note = f"  [{', '.join(notes)}]" if notes else ""
        lines.append(f"  {g.count:>3} x  {g.question}{note}")
        if g.variants:
            lines.append("         also asked as: " + "; ".join(f'"{v}"' for v in g.variants[:3]))
    lines += _more(len(r.unanswered), TEXT_LIMIT)
    if r.unanswered_without_text:
        lines.append(f"  ({r.unanswered_without_text} more without their text: LOG_QUESTIONS was off)")
    lines += ["", "Answers members marked not helpful (👎), most first (consider rewriting them):"]
    if not r.most_unhelpful:
        lines.append("  none")
    for f in r.most_unhelpful[:TEXT_LIMIT]:
        lines.append(f"  {f.entry_id}: {f.unhelpful} not helpful, {f.helpful} helpful")
        if f.questions:
            lines.append("         asked as: " + "; ".join(f'"{q}"' for q in f.questions[:3]))
    lines += _more(len(r.most_unhelpful), TEXT_LIMIT)
    lines += ["", "Answers members flagged 'not what I asked', most first (check what the entry answers):"]
    if not r.flagged:
        lines.append("  none")
    for fl in r.flagged[:TEXT_LIMIT]:
        lines.append(f"  {fl.entry_id}: {fl.flagged} flagged, of {fl.answers} answers")
        if fl.questions:
            lines.append("         asked as: " + "; ".join(f'"{q}"' for q in fl.questions[:3]))
    lines += _more(len(r.flagged), TEXT_LIMIT)
    again = sorted((e for e in r.entries if e.asked_again), key=lambda e: (-e.asked_again, e.entry_id))
    lines += ["", "Answers after which the same member asked again within 2 minutes (a sign the answer missed):"]
    if not again:
        lines.append("  none")
    for e in again[:TEXT_LIMIT]:
        lines.append(f"  {e.entry_id}: {e.asked_again} of {e.answers} answers")
    lines += _more(len(again), TEXT_LIMIT)
    stale = sorted((e for e in r.entries if e.stale), key=lambda e: (-e.stale, e.entry_id))
    if stale:
        lines += ["", "Answers given while their figures were past valid_until (update the entry):"]
        lines += [f"  {e.entry_id}: {e.stale} of {e.answers} answers" for e in stale[:TEXT_LIMIT]]
        lines += _more(len(stale), TEXT_LIMIT)
    lines += [
        "",
        "Suggested alternates: members asked these, were not answered at once, then chose the entry.",
        "If the wording fits, add it to that entry's alternates (nothing is added automatically):",
    ]
    if not r.alternates:
        lines.append("  none")
    for a in r.alternates[:TEXT_LIMIT]:
        lines.append(f'  {a.entry_id}  <-  "{a.question}"  ({a.count} x)')
    lines += _more(len(r.alternates), TEXT_LIMIT)
    return "\n".join(lines)


CSV_COLUMNS = ("section", "item", "entry_id", "count", "detail", "outcome", "first_asked", "last_asked")
# What a spreadsheet reads as the start of a formula: such a cell gets an apostrophe in front.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs: '=HYPERLINK(...)' becomes "'=HYPERLINK(...)"."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _main_outcome(outcomes: dict[str, int]) -> str:
    return max(sorted(outcomes), key=lambda o: outcomes[o]) if outcomes else ""


def _csv(r: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")

    def row(*cells: object) -> None:
        cells = cells + ("",) * (len(CSV_COLUMNS) - len(cells))
        w.writerow([neutralise("" if c is None else c) for c in cells])

    row(*CSV_COLUMNS)
    row("period", r.since, "", r.questions, f"{r.start} to {r.end}")
    for outcome, n in r.by_outcome.items():
        row("outcome", outcome, "", n, "", outcome)
    for surface, n in r.by_surface.items():
        row("surface", surface, "", n, "")
    row("feedback", "helpful", "", r.helpful, "")
    row("feedback", "not helpful", "", r.unhelpful, "")
    row("choices", "did you mean", "", r.choices, "")
    row("flags", "not what I asked", "", r.flags, "")
    row("asked again", "within 2 minutes of an answer", "", r.asked_again, "")
    for g in r.unanswered:
        variants = " | ".join(g.variants)
        row("unanswered", g.question, "", g.count, variants, _main_outcome(g.outcomes), g.first_asked, g.last_asked)
    if r.unanswered_without_text:
        row("unanswered", "(text not logged)", "", r.unanswered_without_text, "")
    for f in r.most_unhelpful:
        row("not helpful", f"{f.helpful} helpful", f.entry_id, f.unhelpful, " | ".join(f.questions), "answer")
    for fl in r.flagged:
        row("not what I asked", f"of {fl.answers} answers", fl.entry_id, fl.flagged, " | ".join(fl.questions), "answer")
    for e in r.entries:
        for item, n in (
            ("answers", e.answers),
            ("not helpful", e.unhelpful),
            ("helpful", e.helpful),
            ("not what I asked", e.flagged),
            ("asked again within 2 minutes", e.asked_again),
            ("answered past valid_until", e.stale),
        ):
            if n or item == "answers":
                row("entry", item, e.entry_id, n, "", "answer", e.first_asked, e.last_asked)
    for a in r.alternates:
        row("suggested alternate", a.question, a.entry_id, a.count, " | ".join(a.variants))
    return out.getvalue().rstrip("\n")
