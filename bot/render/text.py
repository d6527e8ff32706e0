"""Plain-text rendering of a Reply, for the terminal (and any channel without rich formatting)."""

from __future__ import annotations

import textwrap

from bot.markdown import BulletList, Document, Span
from bot.reply import Reply

WIDTH = 88


def _line(spans: tuple[Span, ...]) -> str:
    return "".join(f"{s.text} ({s.url})" if s.url else s.text for s in spans)


def render_document(doc: Document, width: int = WIDTH) -> str:
    parts = []
    for block in doc.blocks:
        if isinstance(block, BulletList):
            parts.append(
                "\n".join(
                    textwrap.fill(_line(item), width, initial_indent="  - ", subsequent_indent="    ")
                    for item in block.items
                )
            )
        else:
            parts.append(textwrap.fill(_line(block.spans), width))
    return "\n\n".join(parts)


def render_text(reply: Reply, width: int = WIDTH) -> str:
    out = [reply.title, "=" * min(len(reply.title), width), "", render_document(reply.body, width)]
    for notice in reply.notices:
        out += ["", "Notice: " + render_document(notice, width - 8)]
    if reply.links:
        out += ["", "Links:"] + [f"  - {link.title}: {link.url}" for link in reply.links]
    if reply.candidates:
        out += [""] + [f"  {i}. {s.label}" for i, s in enumerate(reply.candidates, 1)]
        out.append("  (type the number, or ask again in other words)")
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
