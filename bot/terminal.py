"""Plain-text rendering of a Reply and of the career planner's turns, for the terminal (and any channel without
rich formatting)."""

from __future__ import annotations

import textwrap

from bot.brain.markdown import Document, plain_span, rendered_blocks
from bot.brain.reply import Reply
from bot.conversation.planner import Answers, Choice, Plan, Planner, PlanNotice, PlanQuestion, Turn, is_plan_request

WIDTH = 88


def render_document(doc: Document, width: int = WIDTH) -> str:
    """The document wrapped to `width`, bullets indented."""
    parts = []
    for bulleted, lines in rendered_blocks(doc, plain_span):
        if bulleted:
            wrapped = (textwrap.fill(line, width, initial_indent="  - ", subsequent_indent="    ") for line in lines)
            parts.append("\n".join(wrapped))
        else:
            parts.append(textwrap.fill(lines[0], width))
    return "\n\n".join(parts)


def render_text(reply: Reply, width: int = WIDTH) -> str:
    out = [reply.title, "=" * min(len(reply.title), width), "", render_document(reply.body, width)]
    for notice in reply.notices:
        out += ["", "Notice: " + render_document(notice, width - 8)]
    if reply.links:
        out += ["", "Links:"] + [f"  - {link.title}: {link.url}" for link in reply.links]
    if reply.stale is not None:
        out += ["", "Please note: " + render_document(reply.stale, width - 13)]
    if reply.candidates:
        out += [""] + [f"  {i}. {s.label}" for i, s in enumerate(reply.candidates, 1)]
        out.append("  (type the number, or ask again in other words)")
    if reply.nation is not None:
        from bot.brain.nations import LABELS

        if reply.nation_assumed and reply.other_nations:
            start = len(reply.candidates) + 1
            out += ["", f"This answer is for {LABELS[reply.nation]}. The rules differ in the other UK nations:"]
            out += [f"  {i}. {LABELS[n]}" for i, n in enumerate(reply.other_nations, start)]
            out.append("  (type the number, or 'nation NAME' to keep one for this chat)")
        else:
            out += ["", f"This answer is for {LABELS[reply.nation]}."]
    if reply.related:
        out += ["", "You might also ask:"] + [f"  - {s.label}" for s in reply.related]
    if reply.topics:
        out += ["", "Topics I know:"]
        for topic in reply.topics:
            shortcuts = f" (shortcuts: {', '.join(topic.shortcuts)})" if topic.shortcuts else ""
            out.append(f"  - {topic.title}{shortcuts}")
    if reply.source or reply.reviewed:
        meta = []
        if reply.source:
            meta.append("Source: " + ", ".join(reply.source))
        if reply.reviewed:
            meta.append(f"reviewed {reply.reviewed:%-d %B %Y}")
        out += ["", textwrap.fill("; ".join(meta), width)]
    return "\n".join(out).rstrip() + "\n"


class Chat:
    """The terminal chat, on the conversation core: numbered choices for "did you mean" and for the nations."""

    QUIT = {"quit", "exit", "bye", ":q"}

    def __init__(self, assistant, *, nation=None):
        from bot.conversation import Member

        self.assistant = assistant
        # the terminal has one member; `nation` (from --nation, or typed `nation wales`) is kept for the session
        self.member = Member(id=None, conversation="terminal", nation=nation)

    def run(self, read, out) -> int:
        from dataclasses import replace

        from bot.brain.nations import parse_nation

        print(
            f"physio-career: {len(self.assistant.kb)} answers loaded. Ask a career question, type 'help' for the "
            "topics, 'nation wales' to choose your nation, or 'quit' to leave.",
            file=out,
        )
        last = None
        while True:
            try:
                question = read("\nyou> ")
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                return 0
            q = question.strip()
            if q.lower() in self.QUIT:
                return 0
            choices: list[tuple[str, str]] = numbered_choices(last.reply) if last is not None else []
            if last is not None and q.isdigit() and 1 <= int(q) <= len(choices):
                kind, value = choices[int(q) - 1]
                if kind == "entry":
                    answered = self.assistant.choose(last.ref, value, "chat", self.member)
                else:
                    answered = self.assistant.open_entry(last.reply.entry_id, "chat", self.member, nation=value)
            elif q.lower().startswith("nation") and parse_nation(q[6:]) is not None:
                self.member = replace(self.member, nation=parse_nation(q[6:]))
                answered = None
                print(f"\nI'll answer for {label_of(self.member.nation)} where the rules differ.", file=out)
            elif is_plan_request(q):
                answered = None
                PlanChat(Planner(self.assistant)).run(read, out, self.member)
            else:
                answered = self.assistant.ask(q, "chat", self.member)
            if answered is not None:
                print("\n" + render_text(answered.reply), file=out, end="")
                last = answered


def label_of(nation) -> str:
    from bot.brain.nations import LABELS

    return LABELS.get(nation or "", "")


def numbered_choices(reply: Reply) -> list[tuple[str, str]]:
    """What the numbers mean after this reply: did-you-mean entries first, then other nations."""
    out: list[tuple[str, str]] = [("entry", s.entry_id) for s in reply.candidates]
    if reply.nation_assumed:
        out += [("nation", n) for n in reply.other_nations]
    return out


# --- the career planner -------------------------------------------------------------------------------------
def render_plan_turn(turn: Turn, width: int = WIDTH) -> str:
    """A planner question (numbered choices), a plan, or a notice, as plain text."""
    if isinstance(turn, PlanNotice):
        return f"{turn.title}\n{'=' * min(len(turn.title), width)}\n\n{render_document(turn.body, width)}\n"
    if isinstance(turn, PlanQuestion):
        out = [f"Plan my next step: question {turn.number} of {turn.total}"]
        if turn.summary:
            out.append("So far: " + ", ".join(turn.summary))
        out += ["", turn.question.prompt]
        out += [f"  {i}. {c.label}" for i, c in enumerate(plan_choices(turn), 1)]
        out.append("  (type the number, or 'stop' to leave the planner)")
        return "\n".join(out) + "\n"
    return render_plan(turn, width) + _change_lines(turn)


def render_plan(plan: Plan, width: int = WIDTH) -> str:
    """The plan itself: its steps, each with why, how long, cost or pay, the nation's part and the links."""
    out = [plan.title, "=" * min(len(plan.title), width)]
    if plan.summary:
        out.append("For: " + ", ".join(plan.summary))
    if plan.assumed_note is not None:
        out += ["", render_document(plan.assumed_note, width)]
    for step in plan.steps:
        out += ["", textwrap.fill(f"{step.number}. {step.title}", width), render_document(step.why, width)]
        lines = [("How long", step.how_long)]
        if step.cost_or_pay is not None:
            lines.append(("Cost or pay", step.cost_or_pay))
        lines.append((label_of(step.nation), step.nation_note))
        if step.honest_limit is not None:
            lines.append(("Depends on where you work", step.honest_limit))
        for name, doc in lines:
            text = render_document(doc, width - 4).replace("\n", " ")
            out.append(textwrap.fill(f"{name}: {text}", width, initial_indent="  - ", subsequent_indent="    "))
        if step.stale:
            out.append("  - Please note: the figures in this step are due for review; check the official page.")
        out += [f"  - Official page: {link.title}: {link.url}" for link in step.links]
    out += ["", render_document(plan.footer, width)]
    return "\n".join(out).rstrip() + "\n"


def _change_lines(plan: Plan) -> str:
    lines = ["", "To change an answer:"]
    lines += [f"  {i}. {c.label}" for i, c in enumerate(plan.changes, 1)]
    lines.append("  (type the number, or press Enter to finish)")
    return "\n".join(lines) + "\n"


def plan_choices(turn: Turn) -> list[Choice]:
    """What the numbers mean after this turn: a question's options, then its "Change ..." choices."""
    if isinstance(turn, PlanQuestion):
        return [*turn.options, *turn.changes]
    if isinstance(turn, Plan):
        return list(turn.changes)
    return []


class PlanChat:
    """The planner in the terminal: numbered choices, 'stop' at any time, and changes once the plan is shown."""

    STOP = {"stop", "quit", "exit", "q", ":q", "cancel"}

    def __init__(self, planner: Planner):
        self.planner = planner

    def run(self, read, out, member=None, answers: Answers | None = None) -> Plan | None:
        """Ask until the member finishes or stops; return the last plan shown (None if they stopped first)."""
        turn = self.planner.start(member) if answers is None else self.planner.resume(answers)
        shown: Plan | None = None
        while True:
            print("\n" + render_plan_turn(turn), file=out, end="")
            if isinstance(turn, PlanNotice):
                return shown
            if isinstance(turn, Plan):
                shown = turn
            choices = plan_choices(turn)
            while True:
                try:
                    typed = read("\nplan> ").strip().lower()
                except (EOFError, KeyboardInterrupt):
                    print(file=out)
                    return shown
                if typed in self.STOP or (not typed and isinstance(turn, Plan)):
                    if not isinstance(turn, Plan):
                        print("\n" + render_plan_turn(self.planner.stop()), file=out, end="")
                    return shown
                if typed.isdigit() and 1 <= int(typed) <= len(choices):
                    break
                print(f"Please type a number from 1 to {len(choices)}, or 'stop'.", file=out)
            turn = self.planner.resume(choices[int(typed) - 1].answers)
