"""The career pathway planner, for every channel: a short guided conversation that ends in a plan.

    planner = Planner(assistant)
    turn = planner.start(member)            # the first question (the member's saved nation is filled in)
    turn = planner.resume(answers)          # after a button: the next question, or the Plan
    answers = unpack(button_value)          # what a button carried, checked; None for anything forged

It asks at most five things (band, nation, goal, study or income, qualifications), each with "Not sure", and
builds a `Plan` of 3 to 6 ordered steps from the curated `knowledge/pathways.yaml` (`bot.brain.pathways`): never
from text made up at run time. It is stateless between clicks: the answers so far travel in each button's value
(`pack`/`unpack`, bounded and validated like `bot.conversation.buttons`), so any answer can be changed and the
member can stop at any time. The curators' log gets one count per plan shown (`plan-<goal>` and the nation),
with no text and no other answer. Channels render the turns (`PlanQuestion`, `Plan`, `PlanNotice`); none of them
decides what to say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.brain.knowledge import Link
from bot.brain.markdown import Document, parse_markdown
from bot.brain.matcher import ANSWER
from bot.brain.nations import DEFAULT_NATION, LABELS, NATIONS, Nation
from bot.brain.pathways import (
    BAND_LABELS,
    BANDS,
    GOAL_LABELS,
    GOALS,
    NOT_SURE,
    QUALS,
    QUALS_LABELS,
    STUDY,
    STUDY_LABELS,
    Pathways,
    Situation,
    Step,
)
from bot.brain.reply import Reply
from bot.brain.text import normalise
from bot.conversation.buttons import decode

if TYPE_CHECKING:
    from bot.conversation.core import Assistant, Member

__all__ = [
    "QUESTIONS",
    "START_LABEL",
    "Answers",
    "Choice",
    "Plan",
    "PlanNotice",
    "PlanQuestion",
    "PlanStep",
    "Planner",
    "Question",
    "Turn",
    "is_plan_request",
    "pack",
    "unpack",
]

START_LABEL = "Plan my next step"  # the button on the Home tab and under every career answer
INTRO = "Answer up to five quick questions and get a short plan for your next steps, with the official links."
SURFACE = "plan"  # how plans are counted in the curators' log
# What a member types to start the planner (after the same clean-up as questions).
PLAN_WORDS = frozenset({"plan", "plan my next step", "my plan", "career plan", "plan my career", "make a plan"})
MAX_VALUE = 200  # a plan button carries five short answers; anything longer was not written by us

STOPPED = (
    "Your plan is stopped, and nothing you chose was kept. Type **plan** (or press **Plan my next step**) to start "
    "again, or ask me a career question."
)
UNAVAILABLE = "Sorry, the career planner is not set up on this knowledge base yet. Ask me a career question instead."
FOOTER = (
    "Every step comes from this bot's knowledge base and links to the official page. What is on offer depends on "
    "your employer, so check each step with your line manager, and talk to your CSP steward about anything at work."
)
ASSUMED = (
    "You did not choose a nation, so this plan is for {nation}. The rules differ in the other UK nations: use "
    "**Change nation** if you work somewhere else."
)
SUMMARY = {("study", "alongside-work"): "Can study alongside work", ("study", "keep-income"): "Need to keep my income"}
TITLES = {
    "move-up": "Your plan: move up a band",
    "band-5": "Your plan: a band 5 support role",
    "physiotherapist": "Your plan: become a physiotherapist",
    NOT_SURE: "Your plan: find your next step",
}


@dataclass(frozen=True)
class Question:
    key: str  # band, nation, goal, study, quals
    prompt: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    short: str  # what the answer is called on "Change" buttons and in summaries

    def label(self, value: str | None) -> str:
        return dict(self.options).get(value or "", "")


QUESTIONS: tuple[Question, ...] = (
    Question("band", "What band are you on now?", tuple(BAND_LABELS.items()), "band"),
    Question(
        "nation",
        "Which UK nation do you work in?",
        (*((n, LABELS[n]) for n in NATIONS), (NOT_SURE, "Not sure")),
        "nation",
    ),
    Question("goal", "What would you like to work towards?", tuple(GOAL_LABELS.items()), "goal"),
    Question(
        "study",
        "Can you study alongside work, or do you need to keep your income?",
        tuple(STUDY_LABELS.items()),
        "study",
    ),
    Question(
        "quals",
        "Do you have English and maths at level 2 (such as GCSE) and a level 3 qualification?",
        tuple(QUALS_LABELS.items()),
        "qualifications",
    ),
)
_ALLOWED = {"band": BANDS, "nation": (*NATIONS, NOT_SURE), "goal": GOALS, "study": STUDY, "quals": QUALS}
_SHORT = {"band": "b", "nation": "n", "goal": "g", "study": "s", "quals": "q"}
_LONG = {v: k for k, v in _SHORT.items()}


@dataclass(frozen=True)
class Answers:
    """What the member has answered so far (None: not yet)."""

    band: str | None = None
    nation: str | None = None
    goal: str | None = None
    study: str | None = None
    quals: str | None = None

    def get(self, key: str) -> str | None:
        return getattr(self, key)

    def with_answer(self, key: str, value: str | None) -> Answers:
        return replace(self, **{key: value})

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(q.key for q in QUESTIONS if self.get(q.key) is None)

    @property
    def complete(self) -> bool:
        return not self.missing

    def situation(self) -> tuple[Situation, bool]:
        """(the situation to plan for, True when the nation was not chosen and DEFAULT_NATION is assumed)."""
        nation: Nation = self.nation if self.nation in NATIONS else DEFAULT_NATION
        situation = Situation(
            self.band or NOT_SURE, nation, self.goal or NOT_SURE, self.study or NOT_SURE, self.quals or NOT_SURE
        )
        return situation, self.nation not in NATIONS


# --- the button codec ---------------------------------------------------------------------------------------
def pack(answers: Answers) -> str:
    """The answers as a button value: short keys, known values only (e.g. {"b":"3","n":"wales"})."""
    data = {_SHORT[q.key]: answers.get(q.key) for q in QUESTIONS if answers.get(q.key) is not None}
    return json.dumps(data, separators=(",", ":"))


def unpack(value: object) -> Answers | None:
    """The answers a button carried, if every field is one `pack` could have written; otherwise None."""
    data = decode(value, MAX_VALUE)
    if data is None or set(data) - set(_LONG):
        return None
    fields: dict[str, str] = {}
    for short, raw in data.items():
        key = _LONG[short]
        if not isinstance(raw, str) or raw not in _ALLOWED[key]:
            return None
        fields[key] = raw
    return Answers(**fields)


def is_plan_request(text: str) -> bool:
    """True when what the member typed asks for the planner ('plan', 'Plan my next step')."""
    return isinstance(text, str) and len(text) < 100 and normalise(text) in PLAN_WORDS


# --- what the planner says ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """A button (or numbered choice): its label and the answers it carries."""

    label: str
    answers: Answers

    @property
    def value(self) -> str:
        return pack(self.answers)


def _summary(answers: Answers) -> tuple[str, ...]:
    """The answers so far, in words ("Band 3", "Wales", ...)."""
    out = []
    for q in QUESTIONS:
        value = answers.get(q.key)
        if value is None:
            continue
        label = SUMMARY.get((q.key, value)) or q.label(value)
        if value == NOT_SURE or q.key == "quals":
            label = f"{q.short.capitalize()}: {label.lower()}"
        out.append(label)
    return tuple(out)


def _changes(answers: Answers) -> tuple[Choice, ...]:
    """A "Change ..." choice for each answer given: the same answers without it, so it is asked again."""
    return tuple(
        Choice(f"Change {q.short}", answers.with_answer(q.key, None))
        for q in QUESTIONS
        if answers.get(q.key) is not None
    )


@dataclass(frozen=True)
class PlanQuestion:
    question: Question
    answers: Answers

    @property
    def number(self) -> int:
        return len(QUESTIONS) - len(self.answers.missing) + 1

    @property
    def total(self) -> int:
        return len(QUESTIONS)

    @property
    def options(self) -> tuple[Choice, ...]:
        return tuple(
            Choice(label, self.answers.with_answer(self.question.key, v)) for v, label in self.question.options
        )

    @property
    def changes(self) -> tuple[Choice, ...]:
        return _changes(self.answers)

    @property
    def summary(self) -> tuple[str, ...]:
        return _summary(self.answers)


@dataclass(frozen=True)
class PlanStep:
    number: int
    id: str
    entry_id: str
    stage: str
    title: str
    why: Document
    how_long: Document
    cost_or_pay: Document | None
    nation: Nation
    nation_note: Document
    nothing_specific: bool
    honest_limit: Document | None
    links: tuple[Link, ...]  # official pages: the nation's own first, then the step's (at least one)
    stale: bool = False  # its figures are past their valid_until

    @property
    def link(self) -> Link:
        return self.links[0]


@dataclass(frozen=True)
class Plan:
    answers: Answers
    situation: Situation
    nation_assumed: bool
    title: str
    steps: tuple[PlanStep, ...]

    @property
    def summary(self) -> tuple[str, ...]:
        return _summary(self.answers)

    @property
    def changes(self) -> tuple[Choice, ...]:
        return _changes(self.answers)

    @property
    def value(self) -> str:
        return pack(self.answers)

    @property
    def nation_label(self) -> str:
        return LABELS[self.situation.nation]

    @property
    def assumed_note(self) -> Document | None:
        return parse_markdown(ASSUMED.format(nation=self.nation_label)) if self.nation_assumed else None

    @property
    def footer(self) -> Document:
        return parse_markdown(FOOTER)


@dataclass(frozen=True)
class PlanNotice:
    title: str
    body: Document


Turn = PlanQuestion | Plan | PlanNotice


class Planner:
    """Questions and plans on the conversation core; pure apart from reading the saved nation and one count."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._docs: dict[str, Document] = {}

    @property
    def pathways(self) -> Pathways:
        return self.assistant.kb.pathways

    @property
    def available(self) -> bool:
        return bool(self.pathways)

    # entry points --------------------------------------------------------------------------------------
    def start(self, member: Member | None = None) -> Turn:
        """The first question, with the member's saved nation already filled in (they can change it)."""
        nation = self.assistant.nation_of(member) if member is not None else None
        return self.resume(Answers(nation=nation), record=False)

    def resume(self, answers: Answers, *, record: bool = True) -> Turn:
        """The next unanswered question; once all five are answered, the plan (counted in the curators' log)."""
        if not self.available:
            return self.unavailable()
        for q in QUESTIONS:
            if answers.get(q.key) is None:
                return PlanQuestion(q, answers)
        return self.plan(answers, record=record)

    def plan(self, answers: Answers, *, record: bool = False) -> Plan:
        """The plan for these answers (an unanswered one counts as "not sure"). `record` counts it in the log:
        the goal and the nation only, never the other answers and never any text."""
        situation, assumed = answers.situation()
        steps = tuple(
            self._step(i, step, situation.nation) for i, step in enumerate(self.pathways.select(situation), 1)
        )
        plan = Plan(answers, situation, assumed, TITLES[situation.goal], steps)
        if record:
            self.assistant.recorder.record_question(SURFACE, "", self.counted(plan))
        return plan

    def stop(self) -> PlanNotice:
        return PlanNotice("Plan stopped", parse_markdown(STOPPED))

    def unavailable(self) -> PlanNotice:
        return PlanNotice(START_LABEL, parse_markdown(UNAVAILABLE))

    @staticmethod
    def counted(plan: Plan) -> Reply:
        """What the curators' log is told about a plan: which pathway and which nation, nothing else."""
        return Reply(
            outcome=ANSWER,
            title=TITLES[plan.situation.goal],
            body=Document(()),
            entry_id=f"plan-{plan.situation.goal}",
            score=100,
            nation=plan.situation.nation,
        )

    # helpers -------------------------------------------------------------------------------------------
    def _doc(self, text: str) -> Document:
        doc = self._docs.get(text)
        if doc is None:
            doc = self._docs[text] = parse_markdown(text)
        return doc

    def _step(self, number: int, step: Step, nation: Nation) -> PlanStep:
        note = step.note(nation)
        entry = self.assistant.kb.get(step.entry)
        part = entry.part(nation) if entry is not None else None
        candidates = [
            note.link if note else None,
            step.link,
            *(part.links[:1] if part else ()),
            *(entry.links[:1] if entry else ()),
        ]
        links: list[Link] = []
        for link in candidates:
            if link is not None and link not in links:
                links.append(link)
        today = self.assistant.today()
        return PlanStep(
            number=number,
            id=step.id,
            entry_id=step.entry,
            stage=step.stage,
            title=step.title,
            why=self._doc(step.why),
            how_long=self._doc(step.how_long),
            cost_or_pay=self._doc(step.cost_or_pay) if step.cost_or_pay else None,
            nation=nation,
            nation_note=self._doc(note.text) if note else Document(()),
            nothing_specific=bool(note and note.nothing_specific),
            honest_limit=self._doc(step.honest_limit) if step.honest_limit else None,
            links=tuple(links[:2]),
            stale=step.valid_until is not None and step.valid_until < today,
        )


def answers_for(
    *,
    band: str | None = None,
    nation: str | None = None,
    goal: str | None = None,
    study: str | None = None,
    quals: str | None = None,
) -> Answers:
    """Answers from values typed elsewhere (the command line), checked like a button's; ValueError if unknown."""
    given = {"band": band, "nation": nation, "goal": goal, "study": study, "quals": quals}
    for key, value in given.items():
        if value is not None and value not in _ALLOWED[key]:
            raise ValueError(f"{key} must be one of {', '.join(_ALLOWED[key])}, got {value!r}")
    return Answers(**given)
