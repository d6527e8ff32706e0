"""The Markdown subset answers are written in."""

from __future__ import annotations

import pytest

from bot.brain.markdown import BulletList, MarkdownError, Paragraph, parse_markdown, to_plain


def test_paragraphs_bullets_bold_and_links():
    doc = parse_markdown(
        "First **bold** and [CSP](https://www.csp.org.uk/).\n\n- one\n- two [x](https://a.gov.uk)\n\nLast."
    )
    assert [type(b) for b in doc.blocks] == [Paragraph, BulletList, Paragraph]
    first = doc.blocks[0].spans
    assert any(s.bold and s.text == "bold" for s in first)
    assert any(s.url == "https://www.csp.org.uk/" and s.text == "CSP" for s in first)
    assert doc.urls() == ["https://www.csp.org.uk/", "https://a.gov.uk"]
    assert (
        to_plain(doc) == "First bold and CSP (https://www.csp.org.uk/).\n\n- one\n- two x (https://a.gov.uk)\n\nLast."
    )


def test_lead_in_line_before_bullets():
    doc = parse_markdown("You can:\n- ask\n- join")
    assert isinstance(doc.blocks[0], Paragraph) and isinstance(doc.blocks[1], BulletList)


@pytest.mark.parametrize(
    "bad", ["# Heading", "| a | b |", "1. first", "<b>html</b>", "an **unclosed bold", "[text](no closing"]
)
def test_unsupported_markdown_is_rejected(bad):
    with pytest.raises(MarkdownError):
        parse_markdown(bad)
