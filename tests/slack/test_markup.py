"""Slack markup becomes plain text before the conversation core sees a question."""

from __future__ import annotations

import pytest

from bot.brain.text import normalise
from bot.slack.markup import to_plain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U0002> what does a Band 3 do?", "what does a band 3 do"),
        ("see <https://www.csp.org.uk/x|the CSP page> please", "see the csp page please"),
        ("link <https://www.csp.org.uk/x> only", "link only"),
        ("in <#C0001|physio-careers> we asked", "in physio careers we asked"),
        ("<!channel> <!here> pay &amp; bands", "pay bands"),
    ],
)
def test_slack_markup_is_removed_before_matching(raw, expected):
    assert normalise(to_plain(raw)) == expected


def test_markup_keeps_visible_text_and_unescapes():
    assert to_plain("&lt;b&gt; <@U1|alex> <mailto:a@b.c|mail me>") == "<b>   mail me"


def test_brain_leaves_slack_markup_alone():
    """The brain only ever sees plain text: it has no Slack rules of its own."""
    assert "u0002" in normalise("<@U0002> band 3")
