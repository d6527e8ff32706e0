"""The small Markdown subset answers are written in, parsed once into a channel-neutral document.

Supported: paragraphs (separated by a blank line), "- " bullet lists, **bold** and [text](https://...) links.
Anything else that looks like Markdown (headings, tables, HTML) is an error, so that curators find out in lint
rather than members seeing stray symbols.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


class MarkdownError(ValueError):
    """The text uses Markdown the bot does not support."""


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class BulletList:
    items: tuple[tuple[Span, ...], ...]


Block = Paragraph | BulletList


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]

    def urls(self) -> list[str]:
        out: list[str] = []
        for block in self.blocks:
            lines = block.items if isinstance(block, BulletList) else (block.spans,)
            out.extend(s.url for spans in lines for s in spans if s.url)
        return out


_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)")
_BULLET = re.compile(r"^\s*[-*•]\s+")


def parse_inline(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            spans.append(Span(text[pos : m.start()]))
        if m.group("bold") is not None:
            inner = parse_inline(m.group("bold"))
            spans.extend(Span(s.text, True, s.url) for s in inner)
        else:
            spans.append(Span(m.group("label"), url=m.group("url")))
        pos = m.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return tuple(spans)


def parse_markdown(text: str) -> Document:
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.rstrip() for ln in chunk.splitlines() if ln.strip()]
        if not lines:
            continue
        for ln in lines:
            stripped = ln.lstrip()
            if stripped.startswith("#"):
                raise MarkdownError(f"headings are not supported: {stripped[:40]!r}")
            if stripped.startswith("|"):
                raise MarkdownError(f"tables are not supported: {stripped[:40]!r}")
            if re.match(r"^\d+[.)]\s", stripped):
                raise MarkdownError(f"numbered lists are not supported, use '- ' bullets: {stripped[:40]!r}")
            if re.search(r"</?[a-zA-Z][^>]*>", stripped):
                raise MarkdownError(f"HTML is not supported: {stripped[:40]!r}")
        if all(_BULLET.match(ln) for ln in lines):
            blocks.append(BulletList(tuple(parse_inline(_BULLET.sub("", ln)) for ln in lines)))
        elif any(_BULLET.match(ln) for ln in lines):
            # a lead-in line followed by bullets, without a blank line between them
            lead = [ln for ln in lines if not _BULLET.match(ln)]
            bullets = [ln for ln in lines if _BULLET.match(ln)]
            if lines[: len(lead)] != lead:
                raise MarkdownError("put a blank line between a bullet list and the text after it")
            blocks.append(Paragraph(parse_inline(" ".join(s.strip() for s in lead))))
            blocks.append(BulletList(tuple(parse_inline(_BULLET.sub("", ln)) for ln in bullets)))
        else:
            blocks.append(Paragraph(parse_inline(" ".join(s.strip() for s in lines))))
    for block in blocks:
        spans = [s for items in block.items for s in items] if isinstance(block, BulletList) else block.spans
        for s in spans:
            if s.url is None and ("**" in s.text or re.search(r"\]\(", s.text)):
                raise MarkdownError(f"unclosed bold or link near {s.text.strip()[:40]!r}")
    return Document(tuple(blocks))


def rendered_blocks(doc: Document, span: Callable[[Span], str]) -> list[tuple[bool, list[str]]]:
    """Each block as (is_bullet_list, its lines), spans rendered by `span`: one line per paragraph or item."""
    out = []
    for block in doc.blocks:
        if isinstance(block, BulletList):
            out.append((True, ["".join(span(s) for s in item) for item in block.items]))
        else:
            out.append((False, ["".join(span(s) for s in block.spans)]))
    return out


def render(doc: Document, span: Callable[[Span], str], bullet: str = "- ") -> list[str]:
    """Each block as one string: a paragraph as a line, a list as bulleted lines.

    Every channel's renderer (plain text, Slack mrkdwn, later Teams) is this walk with its own `span`.
    """
    return [
        "\n".join(bullet + line for line in lines) if bulleted else lines[0]
        for bulleted, lines in rendered_blocks(doc, span)
    ]


def plain_span(span: Span) -> str:
    """A span as plain text: bold dropped, a link as `text (url)`."""
    return f"{span.text} ({span.url})" if span.url else span.text


def to_plain(doc: Document) -> str:
    """Plain text: bold dropped, links as `text (url)`, bullets as '- '."""
    return "\n\n".join(render(doc, plain_span))
