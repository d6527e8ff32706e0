"""The real knowledge base is complete and valid; broken copies fail lint with file, line and entry."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.brain.lint import check_knowledge, load_knowledge
from bot.errors import KnowledgeError
from tests.conftest import FIXTURE_KNOWLEDGE, KNOWLEDGE

TODAY = dt.date(2026, 11, 27)  # broken copies are checked on a fixed day: no test depends on today's date

REQUIRED_IDS = """
what-is-a-support-worker bands-overview band-2 band-3 band-4 band-5-support-roles pay-rates rebanding
delegation-and-scope career-progression apprenticeships-overview apprenticeship-level-3 apprenticeship-level-5
degree-apprenticeship apprenticeship-english-maths become-a-physiotherapist study-funding cpd-and-portfolio
capability-frameworks associate-membership membership-fees join-the-csp associates-network reps-and-union-support
insurance job-description-toolkit contact-csp about-this-bot
""".split()


def test_real_knowledge_base_has_every_required_entry(real_kb):
    """Entry ids are contracts (buttons, the evaluation sets and other checks use them)."""
    missing = [i for i in REQUIRED_IDS if i not in real_kb.by_id]
    assert missing == []


def test_real_knowledge_base_lints_clean():
    _, problems = check_knowledge(KNOWLEDGE)
    assert [str(p) for p in problems if p.level == "error"] == []


def test_fixture_knowledge_base_lints_clean_on_any_day():
    for day in (dt.date(2026, 12, 3), dt.date(2030, 6, 1)):
        _, problems = check_knowledge(FIXTURE_KNOWLEDGE, today=day)
        assert [str(p) for p in problems if p.level == "error"] == []


def test_toolkit_link_comes_from_settings(kb):
    toolkit = kb.by_id["job-description-toolkit"]
    assert toolkit.links[0].url == kb.placeholders["toolkit_url"]
    assert "{" not in toolkit.answer


def test_contact_details_come_from_settings(kb):
    contact = kb.by_id["contact-csp"]
    assert kb.placeholders["csp_phone"] in contact.answer
    assert kb.placeholders["csp_email"] in contact.answer


def test_christmas_closure_notice_shows_from_its_lead_day_over_the_new_year(kb):
    notice = next(n for n in kb.notices if n.id == "csp-christmas-closure")
    assert notice.lead_days > 0
    start = dt.date(2026, notice.start[0], notice.start[1])  # type: ignore[index]
    assert notice.in_force(start - dt.timedelta(days=notice.lead_days))
    assert not notice.in_force(start - dt.timedelta(days=notice.lead_days + 1))
    assert notice.in_force(dt.date(2026, 12, 25)) and notice.in_force(dt.date(2027, 1, 2))
    assert not notice.in_force(dt.date(2027, 1, 3)) and not notice.in_force(dt.date(2026, 7, 1))


# --- broken copies -----------------------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def _errors(directory: Path, today: dt.date = TODAY) -> list[str]:
    _, problems = check_knowledge(directory, today=today)
    return [str(p) for p in problems if p.level == "error"]


def test_unknown_related_id_names_file_line_and_entry(copy):
    roles = copy / "roles.yaml"
    _edit(roles, "- id: band-3\n", "- id: band-3\n")  # anchor exists
    text = roles.read_text()
    start = text.index("- id: band-3\n")
    rel = text.index("related:", start)
    roles.write_text(text[:rel] + "related: [band-9]\n    x_related_was:" + text[rel + len("related:") :])
    errors = _errors(copy)
    line = _line_of(roles, "- id: band-3")
    assert any(e.startswith(f"knowledge/roles.yaml:{line}: entry 'band-3': related id 'band-9'") for e in errors), (
        errors
    )
    assert any("unknown field 'x_related_was'" in e for e in errors)


def test_duplicate_id_is_an_error(copy):
    _edit(copy / "roles.yaml", "- id: band-3\n", "- id: band-4\n")
    errors = _errors(copy)
    assert any("entry 'band-4': duplicate id (also at knowledge/roles.yaml:" in e for e in errors), errors


def test_misspelt_field_gets_a_suggestion(copy):
    _edit(copy / "roles.yaml", "    alternates:", "    alternate:")
    errors = _errors(copy)
    assert any("unknown field 'alternate' (did you mean 'alternates'?)" in e for e in errors), errors


def test_http_and_blocked_links_are_errors(copy):
    network = copy / "resources.yaml"
    text = network.read_text()
    first = text.index("url: https://")
    network.write_text(text[:first] + "url: http://www.csp.org.uk/plain" + text[text.index("\n", first) :])
    _edit(copy / "roles.yaml", "url: https://", "url: https://www.scribd.com/doc/1")
    errors = _errors(copy)
    assert any("must be an https link" in e and e.startswith("knowledge/resources.yaml:") for e in errors), errors
    assert any("blocked mirror" in e and e.startswith("knowledge/roles.yaml:") for e in errors), errors


def test_link_outside_the_allowed_domains_is_an_error(copy):
    _edit(copy / "learning.yaml", "url: https://", "url: https://example.com/page")
    assert any("not on an allowed domain: example.com" in e for e in _errors(copy))


def test_same_alternate_under_two_entries_is_an_error(copy):
    kb = load_knowledge(FIXTURE_KNOWLEDGE)
    taken = kb.by_id["band-4"].alternates[0]
    roles = copy / "roles.yaml"
    text = roles.read_text()
    start = text.index("- id: band-3\n")
    alt = text.index("alternates:", start)
    eol = text.index("\n", alt)
    roles.write_text(text[: eol + 1] + f'      - "{taken.upper()}!"\n' + text[eol + 1 :])
    errors = _errors(copy)
    assert any("is also under entry" in e and "'band-3'" in e and "'band-4'" in e for e in errors), errors


def test_valid_until_in_the_past_is_an_error(copy):
    _edit(copy / "roles.yaml", "valid_until: ", "valid_until: 2020-01-01 #")
    errors = _errors(copy)
    assert any("valid_until 2020-01-01 has passed" in e for e in errors), errors


def test_figure_without_valid_until_is_an_error(copy):
    roles = copy / "roles.yaml"
    text = roles.read_text()
    start = text.index("valid_until:")
    roles.write_text(text[:start] + "# " + text[start:])
    errors = _errors(copy)
    assert any("quotes a figure" in e and "no valid_until" in e for e in errors), errors


def test_unknown_placeholder_is_an_error(copy):
    _edit(copy / "resources.yaml", "{csp_phone}", "{csp_fax}")
    errors = _errors(copy)
    assert any("unknown placeholder '{csp_fax}'" in e for e in errors), errors


def test_yaml_syntax_error_names_the_line(copy):
    path = copy / "resources.yaml"
    lines = path.read_text().splitlines()
    lines.insert(5, "  - id: [unclosed")
    path.write_text("\n".join(lines) + "\n")
    errors = _errors(copy)
    assert any(e.startswith("knowledge/resources.yaml:") and "not valid YAML" in e for e in errors), errors


def test_stale_review_is_a_warning_not_an_error(copy):
    _edit(copy / "roles.yaml", "reviewed: 2026-11-01", "reviewed: 2024-01-02")
    _, problems = check_knowledge(copy, today=TODAY)
    assert [p for p in problems if p.level == "warning" and "not reviewed since 2024-01-02" in p.message]
    assert not [p for p in problems if p.level == "error"]


def test_bot_refuses_to_load_a_broken_knowledge_base(copy):
    _edit(copy / "roles.yaml", "- id: band-3\n", "- id: Band 3\n")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(copy)
    assert "kebab-case" in str(info.value)
    assert "knowledge/roles.yaml:" in str(info.value)


def test_answer_with_unsupported_markdown_is_an_error(copy):
    _edit(copy / "roles.yaml", "    answer: |\n", "    answer: |\n      ## A heading\n\n")
    assert any("headings are not supported" in e for e in _errors(copy))


def test_empty_folder_is_an_error(tmp_path):
    errors = _errors(tmp_path)
    assert any("settings.yaml: is missing" in e for e in errors)
    assert any("has no topic files" in e for e in errors)
