"""Personal details taken out of a question before it is stored: emails, UK phone numbers, NHS numbers, postcodes.

`redact(text)` replaces each with a label such as "[email]", so a curator still sees the shape of the question
("my manager is [email], can she re-band me?") but not the detail. It errs on the side of removing too much:
a stray match costs a curator a word, a missed one would keep a member's details.
"""

from __future__ import annotations

import re

MAX_STORED_CHARS = 1000

# A Slack mention of a person, as it arrives in message text: <@U024BE7LH> or <@U024BE7LH|name>.
_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
# mailto links are covered too: both halves of <mailto:a@b.com|a@b.com> match.
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# UK numbers: 0 or +44 / 0044 (with an optional "(0)") then 9 or 10 more digits, in any grouping with spaces, dots,
# hyphens or brackets: 07700 900123, (020) 7946 0958, +44 (0)7700-900-123, 0044 1632 960 123.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44[\s.-]?(?:\(0\)[\s.-]?)?|\(?0)\d(?:[\s.-]?\)?[\s.-]?\d){8,9}(?![\d])",
)
# NHS numbers: ten digits, usually written 3 3 4 (943 476 5919), with spaces, hyphens or none.
_NHS = re.compile(r"(?<![\d])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\d])")
# Any other long run of digits (a membership or staff number, a long phone number).
_LONG_NUMBER = re.compile(r"(?<![\d])\d{9,}(?![\d])")
# UK postcodes in any case, with or without the space: SW1A 1AA, m1 1ae, B338TH, GIR 0AA.
_POSTCODE = re.compile(
    r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b",
    re.IGNORECASE,
)

_RULES = (
    (_SLACK_USER, "[person]"),
    (_EMAIL, "[email]"),
    (_PHONE, "[phone]"),
    (_NHS, "[NHS number]"),
    (_LONG_NUMBER, "[number]"),
    (_POSTCODE, "[postcode]"),
)


def redact(text: str) -> str:
    """The text with personal details replaced by labels, cut to a length worth storing."""
    text = text[: MAX_STORED_CHARS * 2]
    for pattern, label in _RULES:
        text = pattern.sub(label, text)
    return text[:MAX_STORED_CHARS].strip()
