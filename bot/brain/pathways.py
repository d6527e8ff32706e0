# mypy: disable-error-code="attr-defined"
# (the YAML mappings carry `line` and `key_lines`, as in bot.brain.lint)
"""The career pathway planner's curated steps (`knowledge/pathways.yaml`) as data, and the check that reads them.

A plan is built only from these steps, never from text made up at run time. Each step says why it matters, how
long it usually takes, what it costs or pays where that is known, which knowledge entry backs it (its answer and
official links), what differs in each UK nation, where it depends on the employer and who to ask, and which
members it is for (`when`: bands, nations, goals, study or income, qualifications). `Pathways.select` picks and
orders the steps for one member's `Situation`. `check_pathways` is what `physio-career lint` runs on the file:
besides each step's fields, it builds the plan for every possible member (720 of them) and checks that each has
3 to 6 steps in a sensible order. Pure: no I/O here beyond the checker's own `read`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.brain.nations import LABELS, NATIONS, Nation

if TYPE_CHECKING:  # bot.brain.knowledge imports this module, so these are for type checkers only
    from bot.brain.knowledge import Entry, Link
    from bot.brain.lint import _Checker

__all__ = [
    "BANDS",
    "GOALS",
    "QUALS",
    "STAGES",
    "STUDY",
    "Pathways",
    "Situation",
    "Step",
    "StepNation",
    "When",
    "all_situations",
    "check_pathways",
]

FILE = "pathways.yaml"
NOT_SURE = "not-sure"

# What a member can answer. The values are what pathways.yaml, the buttons and `physio-career plan` use.
BANDS: tuple[str, ...] = ("2", "3", "4", "5", NOT_SURE)
GOALS: tuple[str, ...] = ("move-up", "band-5", "physiotherapist", NOT_SURE)
STUDY: tuple[str, ...] = ("alongside-work", "keep-income", NOT_SURE)
QUALS: tuple[str, ...] = ("yes", "no", NOT_SURE)
BAND_LABELS = {"2": "Band 2", "3": "Band 3", "4": "Band 4", "5": "Band 5 support role", NOT_SURE: "Not sure"}
GOAL_LABELS = {
    "move-up": "Move up a band in my role",
    "band-5": "A band 5 support role",
    "physiotherapist": "Become a physiotherapist",
    NOT_SURE: "Not sure yet",
}
STUDY_LABELS = {
    "alongside-work": "I can study alongside work",
    "keep-income": "I need to keep my income",
    NOT_SURE: "Not sure",
}
QUALS_LABELS = {"yes": "Yes", "no": "No", NOT_SURE: "Not sure"}

# The stages of a plan, in the order a plan takes them: talk to people first, then learn, then move into a
# role, and last a route to registration as a physiotherapist.
STAGES: tuple[str, ...] = ("talk", "learn", "role", "register")
REGISTER_GOALS = frozenset({"physiotherapist"})  # only these plans may hold a route to registration

MIN_STEPS, MAX_STEPS = 3, 6
STEP_FIELDS = {
    "id",
    "title",
    "entry",
    "stage",
    "order",
    "when",
    "why",
    "how_long",
    "cost_or_pay",
    "honest_limit",
    "link",
    "nations",
    "requires",
    "reviewed",
    "valid_until",
}
REQUIRED = ("id", "title", "entry", "stage", "order", "why", "how_long", "nations", "reviewed")
WHEN_KEYS = {"band": BANDS, "nation": NATIONS, "goal": GOALS, "study": STUDY, "quals": QUALS}
NOTE_FIELDS = {"text", "nothing_specific", "link"}
MAX_TITLE = 80
WORDS = {  # (least, most) words in each text a member sees
    "why": (12, 70),
    "how_long": (2, 35),
    "cost_or_pay": (1, 40),
    "honest_limit": (8, 50),
    "text": (8, 60),
    "nothing_specific": (8, 60),
}
# An honest limit says who to ask; one of these should appear in it.
WHO_TO_ASK = ("line manager", "manager", "practice educator", "steward", "education lead", "nhs board", "employer")
MAX_SITUATION_REPORTS = 5


@dataclass(frozen=True)
class Situation:
    """One member's answers, complete: what a plan is built for."""

    band: str
    nation: Nation
    goal: str
    study: str
    quals: str

    def describe(self) -> str:
        """In words, for lint messages and curators: 'band 3, Wales, become a physiotherapist, ...'."""
        band = "band not sure" if self.band == NOT_SURE else BAND_LABELS[self.band].lower()
        study = {"alongside-work": "can study alongside work", "keep-income": "needs to keep their income"}
        goal = "goal not sure yet" if self.goal == NOT_SURE else GOAL_LABELS[self.goal].lower()
        return (
            f"{band}, {LABELS[self.nation]}, {goal}, {study.get(self.study, 'study or income not sure')}, "
            f"qualifications: {QUALS_LABELS[self.quals].lower()}"
        )


def all_situations() -> Iterator[Situation]:
    """Every member the planner can meet (5 bands x 4 nations x 4 goals x 3 x 3 = 720)."""
    for band, nation, goal, study, quals in itertools.product(BANDS, NATIONS, GOALS, STUDY, QUALS):
        yield Situation(band, nation, goal, study, quals)


@dataclass(frozen=True)
class When:
    """Which members a step is for: each field lists the answers it applies to (None: any answer)."""

    band: frozenset[str] | None = None
    nation: frozenset[str] | None = None
    goal: frozenset[str] | None = None
    study: frozenset[str] | None = None
    quals: frozenset[str] | None = None

    def matches(self, s: Situation) -> bool:
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.band, s.band),
                (self.nation, s.nation),
                (self.goal, s.goal),
                (self.study, s.study),
                (self.quals, s.quals),
            )
        )


@dataclass(frozen=True)
class StepNation:
    """What differs in one nation for a step: `text`, or (nothing_specific) that nothing does and what applies."""

    nation: Nation
    text: str
    nothing_specific: bool = False
    link: Link | None = None


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    entry: str  # the knowledge entry whose answer and official links back the step
    stage: str
    order: int
    why: str
    how_long: str
    nations: tuple[StepNation, ...]
    reviewed: dt.date
    cost_or_pay: str = ""
    honest_limit: str = ""  # where it depends on the employer, and who to ask
    when: tuple[When, ...] = ()  # any of these (none: every member)
    link: Link | None = None  # an official page to show instead of the entry's first link
    requires: tuple[str, ...] = ()  # steps that come first whenever both are in a plan
    valid_until: dt.date | None = None
    line: int = 0

    def applies(self, s: Situation) -> bool:
        return not self.when or any(w.matches(s) for w in self.when)

    def note(self, nation: str) -> StepNation | None:
        return next((n for n in self.nations if n.nation == nation), None)

    @property
    def nations_covered(self) -> tuple[Nation, ...]:
        """The nations the step can apply to (all four unless every `when` names some)."""
        return _covered(self.when)


@dataclass(frozen=True)
class Pathways:
    steps: tuple[Step, ...] = ()
    file: str = ""
    by_id: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {s.id: s for s in self.steps})

    def __bool__(self) -> bool:
        return bool(self.steps)

    def get(self, step_id: str) -> Step | None:
        return self.by_id.get(step_id)

    def select(self, s: Situation) -> tuple[Step, ...]:
        """The steps for this member, in plan order (lint makes sure there are 3 to 6 for every member)."""
        return tuple(sorted((st for st in self.steps if st.applies(s)), key=lambda st: (st.order, st.id)))


# --- the check ----------------------------------------------------------------------------------------------


def check_pathways(checker: _Checker, by_id: dict[str, Entry]) -> Pathways:
    """Read and check `pathways.yaml` in the checker's folder; report problems through the checker."""
    path = checker.dir / FILE
    rel = checker.rel(path)
    if not path.exists():
        checker.warn(rel, None, None, "is missing: the career pathway planner (`plan`) has no steps to plan with")
        return Pathways()
    data = checker.read(path)
    if data is None:
        return Pathways()
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        checker.err(rel, 1, None, "must have 'steps': a list of plan steps (see knowledge/README.md, 'Pathways')")
        return Pathways()
    for key in data:
        if key != "steps":
            checker.err(rel, data.key_lines[key], None, f"unknown top-level key '{key}' (expected steps)")
    steps: list[Step] = []
    seen: set[str] = set()
    for raw in data["steps"]:
        step = _check_step(checker, rel, raw, data.key_lines["steps"], by_id)
        if step is None:
            continue
        if step.id in seen:
            checker.err(rel, step.line, None, f"step '{step.id}' is listed twice")
            continue
        seen.add(step.id)
        steps.append(step)
    pathways = Pathways(tuple(steps), rel)
    _check_requires(checker, rel, pathways)
    if not checker.broken_files:  # plans built without a file's steps or entries would only repeat its error
        _check_plans(checker, rel, pathways)
    return pathways


def _check_step(checker: _Checker, rel: str, raw: Any, list_line: int, by_id: dict[str, Entry]) -> Step | None:
    from bot.brain import lint

    if not isinstance(raw, dict):
        checker.err(rel, list_line, None, "each step must be a mapping of fields (id, title, entry, ...)")
        return None
    line = raw.line
    sid = raw.get("id")
    if not isinstance(sid, str) or not lint._ID.match(sid):
        checker.err(rel, raw.key_lines.get("id", line), None, f"a step needs an 'id' in kebab-case, got {sid!r}")
        return None
    who = f"step '{sid}'"

    def where(key: str) -> int:
        return raw.key_lines.get(key, line)

    def err(at: int | None, message: str, rule: str = "") -> None:
        checker.err(rel, at, None, f"{who}: {message}", rule)

    for key in raw:
        if key not in STEP_FIELDS:
            hint = difflib.get_close_matches(key, STEP_FIELDS, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else " (for a note to other curators, use a # comment)"
            err(where(key), f"unknown field '{key}'{extra}")
    missing = [k for k in REQUIRED if raw.get(k) in (None, "", [], {})]
    for key in missing:
        err(line, f"missing required field '{key}'")
    ok = not missing

    title = raw.get("title")
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > MAX_TITLE:
        if "title" not in missing:
            err(where("title"), f"title must be a short heading of at most {MAX_TITLE} characters")
        ok = False
        title = ""
    title = checker.fill(rel, where("title"), None, str(title).strip())

    entry_id = raw.get("entry")
    entry = by_id.get(entry_id) if isinstance(entry_id, str) else None
    if entry is None and "entry" not in missing and not checker.broken_files:
        # (with a file that could not be read, the entry may be in it: that error says it all)
        hint = difflib.get_close_matches(str(entry_id), by_id, n=1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        err(
            where("entry"),
            f"entry '{entry_id}' does not exist{extra}: give the id of the knowledge entry that backs it",
        )
        ok = False
    elif entry is not None and entry.kind != "answer":
        err(where("entry"), f"entry '{entry_id}' is a {entry.kind}, not a career answer")
        ok = False

    stage = raw.get("stage")
    if stage not in STAGES and "stage" not in missing:
        err(where("stage"), f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
        ok = False

    order = raw.get("order")
    if (not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= 999) and "order" not in missing:
        err(where("order"), f"order must be a whole number from 1 to 999 (lower comes first), got {order!r}")
        ok = False

    when = _check_when(checker, rel, where("when"), who, raw.get("when"))
    if when is None:
        ok = False
        when = ()
    if stage == "register" and (not when or any(w.goal is None or not w.goal <= REGISTER_GOALS for w in when)):
        err(
            where("when"),
            "a step of stage 'register' leads to registration as a physiotherapist, so its `when` must limit it "
            "to goal [physiotherapist] (a band 5 support role, for one, is not registration)",
        )
        ok = False

    texts: dict[str, str] = {}
    for key in ("why", "how_long", "cost_or_pay", "honest_limit"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            if key not in missing:
                err(where(key), f"{key} must be text")
            ok = False
            continue
        texts[key] = _text(checker, rel, where(key), who, key, value)
    limit = texts.get("honest_limit", "")
    if limit and not any(w in limit.lower() for w in WHO_TO_ASK):
        checker.warn(
            rel,
            where("honest_limit"),
            None,
            f"{who}: honest_limit should say who to ask (a line manager, practice educator or CSP steward)",
        )

    link = _check_link(checker, rel, where("link"), who, raw.get("link")) if "link" in raw else None
    covered = _covered(when)
    notes = _check_nations(checker, rel, where("nations"), who, raw.get("nations"), covered)
    if notes is None:
        ok = False
        notes = ()
    if entry is not None:
        for nation in covered:
            part = entry.part(nation)
            note = next((n for n in notes if n.nation == nation), None)
            if not (link or (note and note.link) or (part and part.links) or entry.links):
                err(where("entry"), f"has no official link for {LABELS[nation]}: add a 'link' to the step")

    requires = _strings(checker, rel, where("requires"), who, raw.get("requires"))
    reviewed = raw.get("reviewed")
    if not isinstance(reviewed, dt.date):
        if "reviewed" not in missing:
            err(where("reviewed"), f"reviewed must be a date like 2026-12-10, got {reviewed!r}")
        ok = False
        reviewed = dt.date.min
    elif reviewed > checker.today:
        err(where("reviewed"), f"reviewed date {reviewed} is in the future (today is {checker.today})")
    elif (checker.today - reviewed).days > lint.REVIEW_WARN_DAYS:
        checker.warn(rel, where("reviewed"), None, f"{who}: not reviewed since {reviewed}: check it against its entry")

    valid_until = checker.parse_valid_until(rel, where("valid_until"), "", raw.get("valid_until"))
    shown = "\n\n".join([*texts.values(), *(n.text for n in notes)])
    checker.check_figures(rel, line, "", shown, valid_until, f" of step '{sid}'")
    checker.check_expiry(rel, where("valid_until"), "", valid_until)

    if not ok:
        return None
    return Step(
        id=sid,
        title=title,
        entry=str(entry_id),
        stage=str(stage),
        order=order if isinstance(order, int) else 0,
        why=texts.get("why", ""),
        how_long=texts.get("how_long", ""),
        nations=notes,
        reviewed=reviewed,
        cost_or_pay=texts.get("cost_or_pay", ""),
        honest_limit=limit,
        when=when,
        link=link,
        requires=tuple(requires),
        valid_until=valid_until,
        line=line,
    )


def _text(checker: _Checker, rel: str, line: int, who: str, key: str, value: str) -> str:
    from bot.brain import lint

    text = checker.fill(rel, line, None, value.strip())
    checker.check_inline_links(rel, line, None, text)
    low, high = WORDS[key]
    words = lint._word_count(text)
    if not low <= words <= high:
        checker.err(rel, line, None, f"{who}: {key} has {words} words; keep it between {low} and {high}")
    return text


def _strings(checker: _Checker, rel: str, line: int, who: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        checker.err(rel, line, None, f"{who}: requires must be a list of step ids")
        return []
    return [v.strip() for v in value]


def _check_when(checker: _Checker, rel: str, line: int, who: str, value: Any) -> tuple[When, ...] | None:
    """`when` is one mapping (band, nation, goal, study, quals: lists of answers) or a list of them (any)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        at = getattr(item, "line", line)
        if not isinstance(item, dict) or not item:
            checker.err(rel, at, None, f"{who}: when must map band, nation, goal, study or quals to lists of answers")
            return None
        fields: dict[str, frozenset[str]] = {}
        for key, raw in item.items():
            allowed = WHEN_KEYS.get(key)
            if allowed is None:
                hint = difflib.get_close_matches(str(key), WHEN_KEYS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                checker.err(rel, at, None, f"{who}: unknown condition '{key}' in when{extra}")
                return None
            listed = raw if isinstance(raw, list) else [raw]
            if any(isinstance(v, bool) for v in listed):
                checker.err(
                    rel, at, None, f'{who}: when.{key}: put "yes" and "no" in quotes (YAML reads them as true/false)'
                )
                return None
            values = [str(v).strip().lower() for v in listed]
            unknown = [v for v in values if v not in allowed]
            if not values or unknown:
                shown = unknown[0] if unknown else "nothing"
                hint = difflib.get_close_matches(shown.replace(" ", "-"), allowed, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                checker.err(rel, at, None, f"{who}: when.{key} has '{shown}'{extra}; use some of {', '.join(allowed)}")
                return None
            fields[key] = frozenset(values)
        out.append(When(**fields))
    return tuple(out)


def _covered(when: tuple[When, ...]) -> tuple[Nation, ...]:
    """The nations a step with these conditions can apply to (all four unless every `when` names some)."""
    if not when or any(w.nation is None for w in when):
        return NATIONS
    named = set().union(*(w.nation or () for w in when))
    return tuple(n for n in NATIONS if n in named)


def _check_link(checker: _Checker, rel: str, line: int, who: str, value: Any) -> Link | None:
    from bot.brain.knowledge import Link

    if not isinstance(value, dict) or set(value) != {"title", "url"}:
        checker.err(rel, line, None, f"{who}: a link needs exactly a 'title' and a 'url'")
        return None
    title = checker.fill(rel, line, None, str(value["title"]).strip())
    url = checker.fill(rel, line, None, str(value["url"]).strip())
    checker.check_url(rel, line, None, url, f"{who}: link", strict=True)
    return Link(title, url)


def _check_nations(
    checker: _Checker, rel: str, line: int, who: str, value: Any, covered: tuple[Nation, ...]
) -> tuple[StepNation, ...] | None:

    if value is None:
        return None  # reported as a missing field
    if not isinstance(value, dict):
        checker.err(rel, line, None, f"{who}: nations must list each nation the step applies to, with its text")
        return None
    for key in value:
        if key not in NATIONS:
            hint = difflib.get_close_matches(str(key).lower().replace(" ", "-"), NATIONS, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            checker.err(rel, value.key_lines[key], None, f"{who}: unknown nation '{key}'{extra}")
        elif key not in covered:
            checker.err(
                rel,
                value.key_lines[key],
                None,
                f"{who}: has a part for {LABELS[key]}, but its `when` never applies there: remove the part or the "
                "nation limit",
            )
    notes: list[StepNation] = []
    ok = True
    for nation in covered:
        name = LABELS[nation]
        raw = value.get(nation)
        if raw is None:
            checker.err(
                rel,
                line,
                None,
                f"{who}: nations: {name} is missing. Add '{nation}:' with 'text' (what differs there) or "
                f"'nothing_specific' (that nothing does, and what applies instead)",
                rule="nation-missing",
            )
            ok = False
            continue
        at = value.key_lines.get(nation, line)
        if not isinstance(raw, dict):
            checker.err(rel, at, None, f"{who}: nations: {name} must have a 'text' or a 'nothing_specific'")
            ok = False
            continue
        for key in raw:
            if key not in NOTE_FIELDS:
                hint = difflib.get_close_matches(key, NOTE_FIELDS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                checker.err(rel, raw.key_lines[key], None, f"{who}: unknown field '{key}' for {name}{extra}")
                ok = False
        text, nothing = raw.get("text"), raw.get("nothing_specific")
        if (text is None) == (nothing is None):
            checker.err(rel, at, None, f"{who}: nations: {name} needs exactly one of 'text' or 'nothing_specific'")
            ok = False
            continue
        words = text if text is not None else nothing
        if not isinstance(words, str) or not words.strip():
            checker.err(rel, at, None, f"{who}: nations: {name}: the text must not be empty")
            ok = False
            continue
        key = "text" if text is not None else "nothing_specific"
        shown = _text(checker, rel, at, f"{who} ({name})", key, words)
        link = (
            _check_link(checker, rel, raw.key_lines.get("link", at), f"{who} ({name})", raw["link"])
            if ("link" in raw)
            else None
        )
        notes.append(StepNation(nation, shown, nothing is not None, link))
    return tuple(notes) if ok else None


def _check_requires(checker: _Checker, rel: str, pathways: Pathways) -> None:
    for step in pathways.steps:
        for rid in step.requires:
            first = pathways.get(rid)
            if first is None:
                hint = difflib.get_close_matches(rid, pathways.by_id, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                checker.err(rel, step.line, None, f"step '{step.id}': requires '{rid}', which is not a step{extra}")
            elif first.order >= step.order:
                checker.err(
                    rel,
                    step.line,
                    None,
                    f"step '{step.id}' requires '{rid}' first, but '{rid}' has order {first.order} and "
                    f"'{step.id}' {step.order}: give '{rid}' the lower order",
                )


def _check_plans(checker: _Checker, rel: str, pathways: Pathways) -> None:
    """Build the plan for every member: 3 to 6 steps, stages in order, qualifications before registration."""
    if not pathways.steps:
        checker.err(rel, 1, None, "has no usable steps, so the planner cannot make a plan")
        return
    sizes: list[str] = []
    order_problems: dict[tuple[str, str], str] = {}
    no_learning: list[str] = []
    rank = {stage: i for i, stage in enumerate(STAGES)}
    for s in all_situations():
        plan = pathways.select(s)
        if not MIN_STEPS <= len(plan) <= MAX_STEPS:
            ids = ", ".join(st.id for st in plan) or "none"
            sizes.append(f"{s.describe()}: {len(plan)} step(s) ({ids})")
        for before, after in itertools.pairwise(plan):
            if rank[before.stage] > rank[after.stage]:
                order_problems.setdefault((before.id, after.id), s.describe())
        if s.quals != "yes":
            first_register = next((i for i, st in enumerate(plan) if st.stage == "register"), None)
            if first_register is not None and not any(st.stage == "learn" for st in plan[:first_register]):
                no_learning.append(s.describe())
    for problem in sizes[:MAX_SITUATION_REPORTS]:
        checker.err(
            rel,
            None,
            None,
            f"the plan for {problem}: a plan needs {MIN_STEPS} to {MAX_STEPS} steps, so widen or narrow a step's "
            "`when`",
            rule="plan-size",
        )
    _more(checker, rel, sizes, "plans of the wrong size")
    for (first_id, then_id), who in sorted(order_problems.items()):
        first, then = pathways.by_id[first_id], pathways.by_id[then_id]
        checker.err(
            rel,
            then.line,
            None,
            f"in the plan for {who}, step '{first_id}' (stage {first.stage}) comes before '{then_id}' "
            f"(stage {then.stage}): "
            f"plans go {', then '.join(STAGES)}, so change their order numbers",
            rule="plan-order",
        )
    for who in no_learning[:MAX_SITUATION_REPORTS]:
        checker.err(
            rel,
            None,
            None,
            f"the plan for {who} leads to registration with no 'learn' step before it: a member without the "
            "entry qualifications must be shown how to get them first",
            rule="plan-order",
        )
    _more(checker, rel, no_learning, "plans that reach registration before the entry qualifications")


def _more(checker: _Checker, rel: str, items: Iterable[str], what: str) -> None:
    extra = len(list(items)) - MAX_SITUATION_REPORTS
    if extra > 0:
        checker.err(rel, None, None, f"and {extra} more {what}", rule="plan-size")
