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
