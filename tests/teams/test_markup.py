"""Teams' markup out of what members type: mentions (ours and other people's), HTML and entities."""

from __future__ import annotations

import pytest

from bot.teams.markup import MAX_INPUT_CHARS, to_plain


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<at>physio-career</at> band5", "band5"),
        ("band5 <at>physio-career</at>", "band5"),
        ("<at>physio-career</at>   how do I become a physio?", "how do I become a physio?"),
        ("<at>physio-career</at> can <at>Jane Smith</at> be re-banded?", "can be re-banded?"),  # no names kept
        ('<at id="0">physio-career</at> help', "help"),
        ("<p>band 3 &amp; band 4</p>", "band 3 & band 4"),
        ("pay&nbsp;rates<br/>in wales", "pay rates in wales"),
        ("is 2 &lt; 3?", "is 2 < 3?"),
        ("&lt;at&gt;not a mention&lt;/at&gt;", "<at>not a mention</at>"),  # typed text stays as typed
        ("", ""),
        ("<at>physio-career</at>", ""),
    ],
)
def test_to_plain(raw, plain):
    assert to_plain(raw) == plain


def test_anything_but_text_is_empty_and_long_text_is_cut_first():
    assert to_plain(None) == "" and to_plain({"a": 1}) == ""
    assert len(to_plain("x" * (MAX_INPUT_CHARS * 3))) == MAX_INPUT_CHARS
