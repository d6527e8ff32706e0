"""How the brain decided, for curators (`physio-career explain "question"`): the question as the matcher saw it,
the guard or facet that fired, the best entries with their scores and closest phrasing, the thresholds, and the
outcome. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.brain.matcher import OUT_OF_SCOPE, stem
from bot.brain.reply import Answerer, Reply
from bot.brain.text import normalise


@dataclass(frozen=True)
class Ranked:
    entry_id: str
    score: int
    closest: str
    kind: str


@dataclass(frozen=True)
class Explanation:
    question: str
    normalised: str
    matched_as: str  # after nation words were set aside, synonyms and typo mending
    nations: tuple[str, ...]
    top: tuple[Ranked, ...]
    thresholds: dict[str, int]
    reply: Reply

    def as_dict(self) -> dict:
        r = self.reply
        return {
            "question": self.question,
            "normalised": self.normalised,
            "matched_as": self.matched_as,
            "nations": list(self.nations),
            "guard": r.guard,
            "facet": r.facet,
            "cue": r.cue,
            "top": [{"entry": t.entry_id, "score": t.score, "closest": t.closest, "kind": t.kind} for t in self.top],
            "thresholds": self.thresholds,
            "outcome": r.outcome,
            "entry": r.entry_id,
            "declined": r.declined,
            "nation": r.nation,
            "candidates": [c.entry_id for c in r.candidates],
        }

    def text(self) -> str:
        r = self.reply
        lines = [
            f"question:      {self.question}",
            f"normalised:    {self.normalised}",
            f"matched as:    {self.matched_as}"
            + (f"   (nation words: {', '.join(self.nations)})" if self.nations else ""),
        ]
        if r.guard:
            lines.append(f"guard:         {r.guard} fired on '{r.cue}' (knowledge/guards.yaml) -> {r.declined}")
        else:
            lines.append("guard:         none fired")
        lines.append("top entries:")
        for t in self.top:
            kind = f" [{t.kind}]" if t.kind != "answer" else ""
            lines.append(f"  {t.score:>3}  {t.entry_id}{kind}   closest: {t.closest}")
        th = self.thresholds
        lines.append(
            f"thresholds:    answer >= {th['answer']} with a lead of {th['margin']}% over the next, "
            f"or >= {th['sure']}; "
            f"did you mean >= {th['clarify']}; decline entry >= {th['decline']} (eased for this length)"
        )
        if r.facet:
            lines.append(f"facet:         {r.facet} fired on '{r.cue}' (knowledge/facets.yaml) -> {r.entry_id}")
        outcome: str = r.outcome
        if r.outcome == "answer":
            outcome += f": {r.entry_id}" + (f" (for {r.nation_label})" if r.nation else "")
        elif r.outcome == "clarify":
            outcome += ": did you mean " + ", ".join(c.entry_id for c in r.candidates)
        elif r.declined:
            outcome += f": declined with {r.declined}"
        lines.append(f"outcome:       {outcome}")
        return "\n".join(lines)


def explain(answerer: Answerer, question: str, *, top: int = 5, today=None) -> Explanation:
    matcher = answerer.matcher
    nations, tokens = matcher._prepare(question)
    scores = matcher.scores(tokens)
    order: list[int] = [int(i) for i in matcher._top(scores, top)] if len(scores) else []
    query = normalise(" ".join(tokens))
    ranked = []
    for i in order:
        item = matcher.items[int(i)]
        closest = max(item.phrasings, key=lambda p: fuzz.token_sort_ratio(query, normalise(p)), default="")
        entry = answerer.kb.get(item.id)
        kind = entry.kind if entry else "out-of-scope examples" if item.id == OUT_OF_SCOPE else ""
        ranked.append(Ranked(item.id, int(round(float(scores[int(i)]) * 100)), closest, kind))
    t = matcher.thresholds
    ease = t.ease(len(tokens))
    thresholds = {
        "answer": round(t.answer * ease * 100),
        "margin": round(t.margin * 100),
        "sure": round(t.sure * 100),
        "clarify": round(t.clarify * ease * 100),
        "decline": round(t.decline * 100),
    }
    _ = stem  # words are stemmed the same way when guards and facets compare them
    return Explanation(
        question,
        normalise(question),
        " ".join(tokens),
        nations,
        tuple(ranked),
        thresholds,
        answerer.reply(question, today=today),
    )
