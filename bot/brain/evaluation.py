"""Run a labelled question set through the matcher and measure it (`physio-career eval`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK, Matcher

FALLBACK_LABEL = "fallback"


@dataclass(frozen=True)
class Labelled:
    q: str
    expect: str  # an entry id or "fallback"


@dataclass
class EvalResult:
    in_scope: int = 0
    right: int = 0
    wrong: int = 0
    clarified: int = 0
    clarified_with_right: int = 0
    missed: int = 0  # in-scope questions that fell back
    out_of_scope: int = 0
    declined: int = 0
    misses: list[tuple[Labelled, str, str | None, int]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.in_scope if self.in_scope else 1.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.in_scope if self.in_scope else 0.0

    @property
    def declined_rate(self) -> float:
        return self.declined / self.out_of_scope if self.out_of_scope else 1.0

    def failures(self, min_accuracy: float, max_wrong: float, min_declined: float) -> list[str]:
        out = []
        if self.accuracy < min_accuracy:
            out.append(f"in-scope accuracy {self.accuracy:.1%} is under {min_accuracy:.0%}")
        if self.wrong_rate > max_wrong:
            out.append(f"wrong answers {self.wrong_rate:.1%} are over {max_wrong:.0%}")
        if self.declined_rate < min_declined:
            out.append(f"out-of-scope declined {self.declined_rate:.1%} is under {min_declined:.0%}")
        return out

    def report(self, show_misses: bool = True) -> str:
        lines = [
            f"in-scope questions:       {self.in_scope}",
            f"  answered right:         {self.right} ({self.accuracy:.1%})",
            f"  answered wrong:         {self.wrong} ({self.wrong_rate:.1%})",
            f"  did you mean:           {self.clarified} (right entry offered in {self.clarified_with_right})",
            f"  fell back:              {self.missed}",
            f"out-of-scope questions:   {self.out_of_scope}",
            f"  declined:               {self.declined} ({self.declined_rate:.1%})",
        ]
        if show_misses and self.misses:
            lines.append("")
            lines.append("misses (expected -> got, score):")
            for item, outcome, got, score in self.misses:
                shown = got if outcome == ANSWER else f"{outcome}{':' + got if got else ''}"
                lines.append(f"  {item.expect} -> {shown} ({score}): {item.q}")
        return "\n".join(lines)


def load_questions(path: str | Path, kb=None) -> list[Labelled]:
    """Read a `questions:` list of {q, expect}; labels must be entry ids of `kb` (when given) or 'fallback'."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a 'questions' list of {{q, expect}} items")
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item.get("expect"):
            raise ValueError(f"{path}: item {n} needs 'q' (text) and 'expect' (an entry id or 'fallback')")
        expect = str(item["expect"])
        if kb is not None and expect != FALLBACK_LABEL and expect not in kb.by_id:
            raise ValueError(f"{path}: item {n} expects unknown entry '{expect}'")
        out.append(Labelled(item["q"], expect))
    return out


def evaluate(matcher: Matcher, questions: list[Labelled]) -> EvalResult:
    result = EvalResult()
    for item in questions:
        m = matcher.match(item.q)
        if item.expect == FALLBACK_LABEL:
            result.out_of_scope += 1
            if m.outcome == FALLBACK:
                result.declined += 1
            else:
                result.misses.append((item, m.outcome, m.entry_id, m.score))
            continue
        result.in_scope += 1
        if m.outcome == ANSWER and m.entry_id == item.expect:
            result.right += 1
            continue
        if m.outcome == ANSWER:
            result.wrong += 1
        elif m.outcome == CLARIFY:
            result.clarified += 1
            if any(c.entry_id == item.expect for c in m.candidates):
                result.clarified_with_right += 1
        else:
            result.missed += 1
        got = m.entry_id or (m.candidates[0].entry_id if m.candidates else m.declined)
        result.misses.append((item, m.outcome, got, m.score))
    return result
