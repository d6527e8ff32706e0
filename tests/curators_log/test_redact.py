"""Personal details never reach the curators' log: each kind is replaced by a label, ordinary words are kept (8.6).

The two data sets in tests/data/redaction/ were written separately from the rules (see their headers): 192
questions with 216 marked details, and 213 ordinary career questions. A detail counts as removed only if every
letter and digit of it falls inside a redacted span, so "[name] Jones" does not count for "Sarah Jones".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.curators_log.redact import MAX_STORED_CHARS, find_details, redact

DATA = Path(__file__).resolve().parents[1] / "data" / "redaction"


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["questions"]


def removed(question: str, detail: str) -> bool:
    """Every letter and digit of every occurrence of `detail` is inside a redacted span."""
    spans = find_details(question)
    at = question.find(detail)
    assert at >= 0, (question, detail)
    while at >= 0:
        for i in range(at, at + len(detail)):
            if question[i].isalnum() and not any(start <= i < end for start, end, _ in spans):
                return False
        at = question.find(detail, at + 1)
    return True


def test_at_least_95_percent_of_personal_details_are_removed():
    questions = load("personal.yaml")
    details = [(item["q"], d) for item in questions for d in item["details"]]
    assert len(questions) == 192 and len(details) == 216
    missed = [(q, d) for q, d in details if not removed(q, d)]
    assert len(missed) <= 0.05 * len(details), missed


def test_no_more_than_2_percent_of_ordinary_questions_are_changed():
    questions = [item["q"] for item in load("ordinary.yaml")]
    assert len(questions) == 213
    changed = [(q, redact(q)) for q in questions if redact(q) != q]
    assert len(changed) <= 0.02 * len(questions), changed


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
        # written for these tests, one or two of each kind
        ("my NI number is JK 98 76 54 B", "my NI number is [NI number]"),
        ("nino: ab123456c", "nino: [NI number]"),
        ("my line manager Gemma Clarke says no", "my line manager [name] says no"),
        ("I spoke to Dr. Okonkwo about it", "I spoke to Dr. [name] about it"),
        ("my name is kieran murphy and I'm a band 3", "my name is [name] and I'm a band 3"),
        ("talk to Hannah Lewis in HR", "talk to [name] in HR"),
        ("Thanks, Priyanka", "Thanks, [name]"),
        ("the band 6 called Morgan told me", "the band 6 called [name] told me"),
        ("staff no 7654321 band 3", "staff no [number] band 3"),
        ("esr 87654321-2 pay query", "esr [number] pay query"),
        ("ring me 07911 123456", "ring me [phone]"),
        ("text me on 7911 123 456", "text me on [phone]"),
        ("my dob is 03/11/1979", "my dob is [date]"),
        ("born 4th July 1990", "born [date]"),
        ("card 5555 5555 5555 4444 for the fee", "card [card] for the fee"),
        ("HCPC PH98765", "HCPC [number]"),
        ("I live at 221b Baker Street", "I live at [address]"),
        ("my slack is U04ABCD1EF", "my slack is [person]"),
        ("@jo.bloggs knows", "[person] knows"),
        ("mail me jo underscore b at hotmail dot com", "mail me [email]"),
        ("kim(at)nhs(dot)net", "[email]"),
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
        "my manager said no to the secondment",
        "is Personal Development Plan the same as an appraisal",
        "I am a technical instructor in MSK",
        "im struggling financially on band 2",
        "do I get paid for Boxing Day and Christmas Day",
        "is 37.5 hours the same as 1.0 wte",
        "£24,071 to £25,674 band 3",
    ],
)
def test_ordinary_questions_are_kept(text):
    assert redact(text) == text


def test_long_text_is_cut():
    assert len(redact("a" * 50_000)) == MAX_STORED_CHARS


def test_text_a_database_cannot_store_is_cleaned():
    assert redact("band\x00 4\ud83d?") == "band  4\ufffd?"
