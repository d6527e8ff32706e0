"""Personal details never reach the curators' log: each kind is replaced by a label, ordinary words are kept."""

from __future__ import annotations

import pytest

from bot.curators_log.redact import MAX_STORED_CHARS, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at jo.bloggs+band4@nhs.net please", "email me at [email] please"),
        ("<mailto:jo@example.co.uk|jo@example.co.uk> wants to know", "<mailto:[email]|[email]> wants to know"),
        ("call 07700 900123", "call [phone]"),
        ("call 07700900123", "call [phone]"),
        ("ring (020) 7946 0958 today", "ring [phone] today"),
        ("my mobile is +44 7700 900123", "my mobile is [phone]"),
        ("+44 (0)7700-900-123", "[phone]"),
        ("0044 1632 960 123", "[phone]"),
        ("office 01632 960123", "office [phone]"),
        ("NHS number 943 476 5919", "NHS number [NHS number]"),
        ("nhs no 9434765919.", "nhs no [NHS number]."),
        ("943-476-5919", "[NHS number]"),
        ("I live at SW1A 1AA", "I live at [postcode]"),
        ("near m1 1ae", "near [postcode]"),
        ("B338TH", "[postcode]"),
        ("CR2 6XH and EC1A 1BB", "[postcode] and [postcode]"),
        ("<@U024BE7LH> said so", "[person] said so"),
        ("staff number 123456789012", "staff number [number]"),
    ],
)
def test_personal_details_are_replaced(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "how do I go from band 3 to band 4?",
        "what is the band 5 pay for 2025/26, is it £29,970?",
        "can I do a level 5 apprenticeship in 18 months",
        "pay rise 2024 2025",
        "is the NHS pension worth it",
        "AfC band 6 after 2 years",
    ],
)
def test_ordinary_questions_are_kept(text):
    assert redact(text) == text


def test_long_text_is_cut():
    assert len(redact("a" * 50_000)) == MAX_STORED_CHARS
