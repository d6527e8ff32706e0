"""Run a labelled question set through the matcher and measure it (`physio-career eval`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK
from bot.brain.text import normalise

FALLBACK_LABEL = "fallback"


@dataclass(frozen=True)
class Labelled:
    q: str
    expect: str  # an entry id, or "fallback" (out of scope); a decline entry's id: out of scope, with that decline
    group: str = ""  # the `group:` of the item, else the `# --- group ---` comment above it
    follow_up_of: int | None = None  # a follow-up question: the index (in its group) of the question it follows


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
    named: int = 0  # out-of-scope questions labelled with a decline entry (not just "fallback") and declined
    named_right: int = 0  # ...with that decline entry's reply
    misses: list[tuple[Labelled, str, str | None, int]] = field(default_factory=list)
    by_group: dict[str, list[int]] = field(default_factory=dict)  # group -> [right or declined, total]

    @property
    def clarify_rate(self) -> float:
        return self.clarified / self.in_scope if self.in_scope else 0.0

    def group_rate(self, word: str) -> tuple[int, int]:
        """(passed, total) over the groups whose name contains `word` (e.g. "patient")."""
        passed = total = 0
        for name, (ok, n) in self.by_group.items():
            if word in name:
                passed, total = passed + ok, total + n
        return passed, total

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
            f"  did you mean:           {self.clarified} ({self.clarify_rate:.1%}; right entry offered in "
            f"{self.clarified_with_right})",
            f"  fell back:              {self.missed}",
            f"out-of-scope questions:   {self.out_of_scope}",
            f"  declined:               {self.declined} ({self.declined_rate:.1%})",
        ]
        if self.named:
            lines.append(f"  with the decline named: {self.named_right} of the {self.named} labelled with one")
        if show_misses and self.misses:
            lines.append("")
            lines.append("misses (expected -> got, score):")
            for item, outcome, got, score in self.misses:
                shown = got if outcome == ANSWER else f"{outcome}{':' + got if got else ''}"
                lines.append(f"  {item.expect} -> {shown} ({score}): {item.q}")
        return "\n".join(lines)


def _comment_groups(text: str) -> list[str]:
    """The `# --- name ---` comment above each `- q:` item, in order."""
    groups, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# ---") and stripped.endswith("---"):
            current = stripped.strip("#- ").strip()
        elif stripped.startswith("- q:"):
            groups.append(current)
    return groups


def load_questions(path: str | Path, kb=None) -> list[Labelled]:
    """Read a `questions:` list of {q, expect}; labels must be entry ids of `kb` (when given) or 'fallback'."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    groups = _comment_groups(text)
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
        group = str(item.get("group") or (groups[n - 1] if n - 1 < len(groups) else ""))
        follows = item.get("follow_up_of")
        out.append(Labelled(item["q"], expect, group, follows if isinstance(follows, int) else None))
    return out


NEAR_COPY = 91  # an edit similarity (0-100, in the order typed or with the words sorted) this high is a copy


def near_copies(texts: list[str], questions: list[str]) -> np.ndarray:
    """For each of `texts`: does it copy or nearly copy one of `questions` (both normalised first)?"""
    asked = [normalise(q) for q in questions]
    mine = [normalise(t) for t in texts]
    near = np.zeros(len(mine), dtype=bool)
    if not mine or not asked:
        return near
    for scorer in (fuzz.ratio, fuzz.token_sort_ratio):  # the same words in another order are a copy too
        near |= process.cdist(mine, asked, scorer=scorer, score_cutoff=NEAR_COPY, workers=1).any(axis=1)
    return near


def held_out(kb, path: str | Path, questions: list[Labelled] | None = None):
    """`kb` without what would let the questions of `path` be measured on what the bot has learnt from them:
    the examples that came from that file (when it is one of knowledge/examples/), and any example, from any
    file, that copies or nearly copies one of its `questions` (after normalising: see NEAR_COPY)."""
    path = Path(os.path.abspath(path))  # not resolved: a symlink in examples/ is read under its own name
    own = path.parent == Path(os.path.abspath(Path(kb.directory) / "examples"))
    kept = [ex for ex in kb.examples if not (own and ex.source == path.stem)]
    if questions:
        near = near_copies([ex.q for ex in kept], [q.q for q in questions])
        kept = [ex for ex, copy in zip(kept, near, strict=True) if not copy]
    return replace(kb, examples=tuple(kept))


HELP_ENTRY = "about-this-bot"  # the help reply ("help", an empty question) does what this entry does


def outcome_of(brain, question: str, reply=None) -> tuple[str, str | None, int, tuple[str, ...]]:
    """(outcome, entry or declined id, score, candidate ids) from the whole brain (an Answerer: guards, matcher,
    facets), or from a bare Matcher."""
    if reply is not None or hasattr(brain, "reply"):
        reply = reply if reply is not None else brain.reply(question)
        if reply.outcome == "help":
            return ANSWER, HELP_ENTRY, 100, ()
        got = reply.entry_id if reply.outcome == ANSWER else reply.declined
        return reply.outcome, got, reply.score, tuple(c.entry_id for c in reply.candidates)
    m = brain.match(question)
    return (
        m.outcome,
        m.entry_id if m.outcome == ANSWER else m.declined,
        m.score,
        tuple(c.entry_id for c in m.candidates),
    )


def _decline_ids(brain) -> set[str]:
    """The decline entries' ids: a question labelled with one is out of scope, and should get that decline."""
    kb = getattr(brain, "kb", None)
    if kb is not None:
        return {e.id for e in kb.entries if e.kind == "decline"}
    return {i for i, d in zip(brain.ids, brain._decline, strict=True) if d}


def evaluate(brain, questions: list[Labelled], follow_up=None) -> EvalResult:
    """Measure `brain` (an Answerer, or a Matcher alone) on labelled questions.

    `follow_up(question, previous_reply) -> Reply` answers a question marked `follow_up_of` in the conversation
    of the one it follows (the conversation core provides it); without it, follow-ups are asked on their own.
    """
    result = EvalResult()
    declines = _decline_ids(brain)
    replies: dict[tuple[str, int], object] = {}
    position: dict[str, int] = {}
    for item in questions:
        index = position.get(item.group, 0)
        position[item.group] = index + 1
        reply = None
        if hasattr(brain, "reply"):
            previous = replies.get((item.group, item.follow_up_of)) if item.follow_up_of is not None else None
            reply = follow_up(item.q, previous) if follow_up and previous is not None else brain.reply(item.q)
            replies[(item.group, index)] = reply
        outcome, got, score, candidates = outcome_of(brain, item.q, reply)
        tally = result.by_group.setdefault(item.group, [0, 0])
        tally[1] += 1
        if item.expect == FALLBACK_LABEL or item.expect in declines:
            result.out_of_scope += 1
            if outcome == FALLBACK:
                result.declined += 1
                tally[0] += 1
                if item.expect in declines:
                    result.named += 1
                    result.named_right += got == item.expect
            else:
                result.misses.append((item, outcome, got, score))
            continue
        result.in_scope += 1
        if outcome == ANSWER and got == item.expect:
            result.right += 1
            tally[0] += 1
            continue
        if outcome == ANSWER:
            result.wrong += 1
        elif outcome == CLARIFY:
            result.clarified += 1
            if item.expect in candidates:
                result.clarified_with_right += 1
        else:
            result.missed += 1
        shown = got or (candidates[0] if candidates else None)
        result.misses.append((item, outcome, shown, score))
    return result
