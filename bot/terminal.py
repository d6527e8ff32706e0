"""Plain-text rendering of a Reply, for the terminal (and any channel without rich formatting)."""

from __future__ import annotations

import textwrap

from bot.brain.markdown import Document, plain_span, rendered_blocks
from bot.brain.reply import Reply

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
