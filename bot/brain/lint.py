"""Read and check the curated knowledge base (`knowledge/*.yaml`): what `physio-career lint` runs.

`check_knowledge(dir)` returns the knowledge base (when usable) and every problem found, each naming its file,
line and entry id, in words a volunteer understands; `load_knowledge(dir)` raises `KnowledgeError` when there is
an error that would stop the bot answering. A figure past its `valid_until` is an error for lint (and so for
CI) but never stops a running bot: it keeps answering, with a line saying the figures may be out of date.

One root cause gives one message: a file that is not valid YAML is reported once, in plain words, and the
problems that only follow from it (ids it would have defined, placeholders its settings would have set) are
not listed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.brain.guards import Facet, Guard, Rule, Rules, prepare_phrases
from bot.brain.knowledge import KINDS, Entry, EntryKind, Example, KnowledgeBase, Link, NationPart, Notice, Topic
from bot.brain.markdown import MarkdownError, parse_markdown
from bot.brain.nations import LABELS, NATIONS, NationCues
from bot.brain.pathways import check_pathways
from bot.brain.text import normalise
from bot.errors import KnowledgeError, Problem

__all__ = ["DEFAULT_DIR", "check_knowledge", "load_knowledge", "SPECIAL_FILES"]


def _default_dir() -> Path:
    """The knowledge folder: `knowledge/` beside `bot/` in a checkout, else the copy installed with the package."""
    beside = Path(__file__).resolve().parents[2] / "knowledge"
    if beside.is_dir():
        return beside
    try:
        from importlib.resources import files

        return Path(str(files("bot") / "_knowledge"))
    except (ImportError, ModuleNotFoundError, TypeError):  # pragma: no cover - a broken install
        return beside


DEFAULT_DIR = _default_dir()
SPECIAL_FILES = {"synonyms.yaml", "settings.yaml", "nations.yaml", "guards.yaml", "facets.yaml", "pathways.yaml"}
RULE_KEYS = {"any", "all", "unless"}
ENTRY_FIELDS = {
    "id",
    "question",
    "alternates",
    "shortcuts",
    "answer",
    "links",
    "related",
    "source",
    "corroboration",
    "reviewed",
    "valid_until",
    "kind",
    "nations",
    "title",
}
MAX_TITLE = 60
NATION_FIELDS = {"answer", "nothing_specific", "links", "source", "corroboration", "valid_until"}
REQUIRED_FIELDS = ("id", "question", "alternates", "source", "reviewed")
RESERVED_SHORTCUTS = {"help", "report", "topics", "feedback", "nation", "plan"}
MIN_ALTERNATES = 6
WORD_LIMITS: dict[str, tuple[int, int]] = {
    "answer": (40, 180),
    "bot": (40, 180),
    "smalltalk": (1, 180),
    "decline": (20, 180),
}
MIN_NOTHING_SPECIFIC_WORDS = 8
REVIEW_WARN_DAYS = 365
EXPIRY_WARN_DAYS = 60
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SHORTCUT = re.compile(r"^[a-z0-9]+$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_FIGURE = re.compile(r"£\s?\d[\d,.]*(?:k\b)?|\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)? per ?cent")
_YEAR = re.compile(r"\b(20\d\d)\s*[/\u2013-]\s*(\d\d)\b")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


# --- YAML with line numbers -------------------------------------------------------------------------------


class _LineDict(dict):
    line: int = 0
    key_lines: dict[str, int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml: 5x faster
    """A safe loader whose mappings remember the line of each key (1-based), and which notes list items that
    run over several lines (usually an indentation slip that merged two items)."""

    run_on: list[tuple[int, str]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the field '{key}' appears twice in one entry", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> list[Any]:
    for item in node.value:
        if (
            isinstance(item, yaml.ScalarNode)
            and not item.style  # plain (None in PyYAML, "" in libyaml)
            and item.end_mark.line > item.start_mark.line
            and item.end_mark.column > 0
        ):
            loader.run_on.append((item.start_mark.line + 1, str(item.value)))
    return [loader.construct_object(child, deep=True) for child in node.value]


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _yaml_message(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """A YAML error as (line, what is wrong and what to type instead), for a volunteer, not a programmer."""
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    line = mark.line + 1 if mark is not None else None
    lines = text.splitlines()
    shown = lines[line - 1].strip() if line and 0 < line <= len(lines) else ""
    quote = f" (`{shown[:60]}`)" if shown else ""
    if "tab" in problem:
        return line, f"line {line} starts with a tab{quote}: YAML needs spaces. Replace the tab with spaces"
    if "appears twice" in problem:
        return line, f"{problem} (line {line}): delete one of them"
    if "quoted scalar" in context and context_mark is not None:
        start = context_mark.line + 1
        return (
            start,
            f"a quote opened on line {start} is never closed: add the closing quote mark at the end of that text",
        )
    if "mapping values are not allowed" in problem:
        return line, (
            f"line {line} has a colon followed by a space inside the text{quote}. Put the whole text in double "
            'quotes, for example: question: "Band 3: what does the role involve?"'
        )
    if "expected key" in problem or "expected <block end>" in problem or "expected ':'" in problem:
        where = context_mark.line + 1 if context_mark is not None and "block mapping" in context else line
        return where, (
            f"the indentation near line {line}{quote} does not line up with the lines above it. Fields of one "
            "entry start in the same column as its `id:`, and the `- ` items of one list in the same column as "
            "each other (use spaces, not tabs)"
        )
    detail = f"{context}: {problem}" if context else problem
    return line, f"is not valid YAML: {detail}"


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> tuple[Any, bool]:
    """(data, ok). `ok` is False when the file could not be read as YAML (one problem is added)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem("error", rel, None, None, f"is not UTF-8 text ({exc.reason}): save it as UTF-8"))
        return None, False
    loader = _Loader(text)
    loader.run_on = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        line, message = _yaml_message(exc, text)
        problems.append(Problem("error", rel, line, None, message, rule="yaml"))
        return None, False
    finally:
        loader.dispose()
    for line, value in loader.run_on:
        if re.search(r"\s-\s", value):
            problems.append(
                Problem(
                    "error",
                    rel,
                    line,
                    None,
                    f"two list items have run together into one ('{value[:60]}'): the item on the next line is "
                    "indented differently. Line up every `- ` of the list in the same column",
                    rule="yaml",
                )
            )
        else:
            problems.append(
                Problem(
                    "warning",
                    rel,
                    line,
                    None,
                    f"this list item runs onto the next line ('{value[:60]}'). If you meant two items, start the "
                    "second with `- ` in the same column as the first",
                )
            )
    return data, True


# --- checks -----------------------------------------------------------------------------------------------


def _domain_ok(host: str, domains: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _word_count(markdown: str) -> int:
    plain = re.sub(r"\]\([^)]*\)", "]", markdown)
    return len(re.findall(r"[A-Za-z0-9£][\w'’£.,%/-]*", plain))


def latest_year_end(text: str) -> dt.date | None:
    """The end (31 March) of the latest financial year an answer quotes, such as 2025/26; None if it quotes none."""
    ends = [
        dt.date(int(a) + 1, 3, 31)
        for a, b in _YEAR.findall(text)
        if (int(a) + 1) % 100 == int(b)  # 2025/26, not 2026-12 (a date)
    ]
    return max(ends) if ends else None


Where = Callable[[str], int]


class _Checker:
    def __init__(self, directory: Path, today: dt.date):
        self.dir = directory
        self.today = today
        self.problems: list[Problem] = []
        self.placeholders: dict[str, str] = {}
        self.allowed: tuple[str, ...] = ()
        self.blocked: tuple[str, ...] = ()
        self.settings_ok = True  # False: settings.yaml could not be read, so skip what depends on it
        self.broken_files: list[str] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.dir.parent))
        except ValueError:
            return str(path)

    def err(self, file: str, line: int | None, entry: str | None, message: str, rule: str = "") -> None:
        self.problems.append(Problem("error", file, line, entry, message, rule))

    def warn(self, file: str, line: int | None, entry: str | None, message: str, rule: str = "") -> None:
        self.problems.append(Problem("warning", file, line, entry, message, rule))

    def read(self, path: Path) -> Any:
        rel = self.rel(path)
        if path.stat().st_size == 0 or not path.read_bytes().strip():
            self.err(rel, None, None, "is empty: delete the file, or give it its content")
            self.broken_files.append(rel)
            return None
        data, ok = _read_yaml(path, rel, self.problems)
        if not ok:
            self.broken_files.append(rel)
        return data

    # settings.yaml
    def check_settings(self) -> tuple[Notice, ...]:
        path = self.dir / "settings.yaml"
        rel = self.rel(path)
        if not path.exists():
            self.err(rel, None, None, "is missing (it holds the placeholders, notices and link rules)")
            self.settings_ok = False
            return ()
        data = self.read(path)
        if data is None:
            self.settings_ok = False
            return ()
        if not isinstance(data, dict):
            self.err(rel, 1, None, "must be a mapping with 'placeholders', 'notices' and 'links'")
            self.settings_ok = False
            return ()
        for key in data:
            if key not in {"placeholders", "notices", "links"}:
                self.err(rel, data.key_lines[key], None, f"unknown section '{key}'")
        placeholders = data.get("placeholders") or {}
        if not isinstance(placeholders, dict):
            self.err(rel, data.key_lines.get("placeholders"), None, "'placeholders' must map names to text")
            placeholders = _LineDict()
            placeholders.key_lines = {}
        for name, value in placeholders.items():
            if not isinstance(value, str) or not value.strip():
                self.err(rel, placeholders.key_lines[name], None, f"placeholder '{name}' must be non-empty text")
            else:
                self.placeholders[name] = value.strip()
        links = data.get("links") or {}
        if isinstance(links, dict):
            self.allowed = self.check_domains(rel, links, "allowed_domains")
            self.blocked = self.check_domains(rel, links, "blocked_domains")
        if not self.allowed:
            self.err(rel, data.key_lines.get("links"), None, "'links.allowed_domains' must list at least one domain")
        for name, value in self.placeholders.items():
            if value.startswith("http"):
                self.check_url(rel, placeholders.key_lines[name], None, value, f"placeholder '{name}'", strict=True)
        return self.parse_notices(rel, data)

    def check_domains(self, rel: str, links: dict, key: str) -> tuple[str, ...]:
        raw = links.get(key) or []
        line = links.key_lines.get(key) if isinstance(links, _LineDict) else None
        if not isinstance(raw, list):
            self.err(rel, line, None, f"'links.{key}' must be a list of domains such as csp.org.uk")
            return ()
        out = []
        for item in raw:
            text = str(item).strip().lower()
            if _DOMAIN.match(text):
                out.append(text)
                continue
            host = urlsplit(text if "//" in text else "//" + text).hostname or ""
            hint = f": write {host}" if host and _DOMAIN.match(host) else ""
            self.err(
                rel,
                line,
                None,
                f"'{item}' in links.{key} is not a domain. List domains only, with no https:// and no slashes{hint}",
            )
            if hint:
                out.append(host)  # use what was meant, so links are not all reported as off the list as well
        return tuple(out)

    def parse_notices(self, rel: str, data: dict) -> tuple[Notice, ...]:
        out = []
        raw = data.get("notices") or []
        if not isinstance(raw, list):
            self.err(rel, data.key_lines.get("notices"), None, "'notices' must be a list")
            return ()
        for item in raw:
            if not isinstance(item, dict):
                self.err(rel, data.key_lines.get("notices"), None, "each notice must be a mapping")
                continue
            nid = str(item.get("id") or "")
            unknown = set(item) - {"id", "from", "until", "text", "source", "show_days_before"}
            for key in sorted(unknown):
                self.err(rel, item.key_lines[key], nid or None, f"unknown notice field '{key}'")
            start = self.parse_when(rel, item, "from", nid)
            end = self.parse_when(rel, item, "until", nid)
            text = item.get("text")
            if not nid or not isinstance(text, str) or not text.strip():
                self.err(rel, item.line, nid or None, "a notice needs an 'id' and a 'text'")
                continue
            lead = item.get("show_days_before", 0)
            if not isinstance(lead, int) or isinstance(lead, bool) or not 0 <= lead <= 60:
                self.err(rel, item.key_lines.get("show_days_before"), nid, "show_days_before must be 0 to 60 days")
                lead = 0
            if start is None or end is None:
                continue
            if type(start) is not type(end):
                self.err(rel, item.line, nid, "'from' and 'until' must both be dates or both month-days")
                continue
            text = self.fill(rel, item.key_lines["text"], nid, text.strip())
            self.check_inline_links(rel, item.key_lines["text"], nid, text)
            source = str(item.get("source") or "")
            if source:
                self.check_url(rel, item.key_lines.get("source"), nid, source, "source", strict=True)
            out.append(Notice(nid, text, start, end, source, lead))
        return tuple(out)

    def parse_when(self, rel: str, item: dict, key: str, nid: str) -> dt.date | tuple[int, int] | None:
        value = item.get(key)
        line = item.key_lines.get(key, item.line)
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            m = re.fullmatch(r"(\d{2})-(\d{2})", value.strip())
            if m:
                month, day = int(m.group(1)), int(m.group(2))
                try:
                    dt.date(2024, month, day)
                except ValueError:
                    pass
                else:
                    return (month, day)
        self.err(rel, line, nid or None, f"'{key}' must be a date (2026-12-25) or a month-day in quotes (\"12-25\")")
        return None

    def fill(self, rel: str, line: int | None, entry: str | None, text: str) -> str:
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name in self.placeholders:
                return self.placeholders[name]
            if self.settings_ok:
                known = ", ".join(sorted(self.placeholders)) or "none"
                self.err(rel, line, entry, f"unknown placeholder '{{{name}}}' (known: {known})")
            return m.group(0)

        return _PLACEHOLDER.sub(sub, text)

    def check_url(self, rel: str, line: int | None, entry: str | None, url: str, what: str, strict: bool) -> None:
        """`strict`: members see it, so it must be https on an allowed (official) domain."""
        if not self.settings_ok and "{" in url:
            return  # a placeholder that settings.yaml (which could not be read) would have filled in
        parts = urlsplit(url)
        host = parts.hostname or ""
        if self.blocked and _domain_ok(host, self.blocked):
            self.err(rel, line, entry, f"{what} points to a blocked mirror or copy: {url}")
            return
        if not strict:
            if parts.scheme not in ("http", "https") or not host:
                self.err(rel, line, entry, f"{what} is not a web address: {url!r}")
            return
        if parts.scheme != "https" or not host:
            self.err(rel, line, entry, f"{what} must be an https link: {url!r}")
        elif self.settings_ok and not _domain_ok(host, self.allowed):
            self.err(
                rel,
                line,
                entry,
                f"{what} is not on an allowed domain: {host} (members see official pages only; put other pages "
                "that back the facts under 'corroboration', which members never see)",
            )

    def check_inline_links(self, rel: str, line: int | None, entry: str | None, text: str) -> None:
        try:
            doc = parse_markdown(text)
        except MarkdownError as exc:
            self.err(rel, line, entry, f"answer: {exc}")
            return
        for url in doc.urls():
            self.check_url(rel, line, entry, url, "a link in the answer", strict=True)

    # synonyms.yaml
    def check_synonyms(self) -> dict[str, tuple[str, ...]]:
        path = self.dir / "synonyms.yaml"
        rel = self.rel(path)
        if not path.exists():
            self.warn(rel, None, None, "is missing: no synonyms will be applied")
            return {}
        data = self.read(path)
        if data is None:
            return {}
        table = data.get("synonyms") if isinstance(data, dict) else None
        if not isinstance(table, dict):
            self.err(rel, 1, None, "must have a 'synonyms' mapping of canonical form -> list of variants")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for canonical, variants in table.items():
            line = table.key_lines[canonical]
            if isinstance(variants, str):
                variants = [variants]
            if not isinstance(variants, list) or not all(isinstance(v, str | int) for v in variants):
                self.err(rel, line, None, f"synonyms of '{canonical}' must be a list of words or phrases")
                continue
            clean = []
            for v in variants:
                key = normalise(str(v))
                if not key:
                    self.err(rel, line, None, f"an empty variant under '{canonical}'")
                elif key in seen and seen[key] != canonical:
                    self.err(rel, line, None, f"variant '{v}' is listed under both '{seen[key]}' and '{canonical}'")
                else:
                    seen[key] = canonical
                    clean.append(str(v))
            out[str(canonical)] = tuple(clean)
        return out

    # nations.yaml
    def check_nations(self) -> NationCues:
        path = self.dir / "nations.yaml"
        rel = self.rel(path)
        if not path.exists():
            self.warn(rel, None, None, "is missing: questions that name a nation are answered for England")
            return NationCues()
        data = self.read(path)
        if data is None:
            return NationCues()
        cues = data.get("cues") if isinstance(data, dict) else None
        if not isinstance(cues, dict):
            self.err(
                rel,
                1,
                None,
                "must have 'cues': each nation (england, scotland, wales, northern-ireland) "
                "with a list of words and place names that point to it",
            )
            return NationCues()
        table: dict[str, set[str]] = {}
        for nation, phrases in cues.items():
            line = cues.key_lines[nation]
            if nation not in NATIONS:
                hint = difflib.get_close_matches(str(nation), NATIONS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.err(rel, line, None, f"unknown nation '{nation}'{extra}; use {', '.join(NATIONS)}")
                continue
            if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
                self.err(rel, line, None, f"the cues of '{nation}' must be a list of words or phrases")
                continue
            for phrase in phrases:
                table.setdefault(phrase, set()).add(nation)
        return NationCues.build(table, normalise)

    # guards.yaml and facets.yaml
    def check_rules(self, by_id: dict[str, Entry], synonyms: dict[str, tuple[str, ...]]) -> Rules:
        from bot.brain.matcher import stem
        from bot.brain.text import SynonymMap

        expand = SynonymMap(synonyms).expand_tokens

        def words_of(text: str) -> list[str]:
            return [stem(w) for w in expand(normalise(text).split())]

        guards: list[Guard] = []
        facets: list[Facet] = []
        for name, key in (("guards.yaml", "guards"), ("facets.yaml", "facets")):
            path = self.dir / name
            if not path.exists():
                continue
            rel = self.rel(path)
            data = self.read(path)
            if data is None:
                continue
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list):
                self.err(rel, 1, None, f"must have '{key}': a list of rules (see knowledge/README.md)")
                continue
            seen: set[str] = set()
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not _ID.match(item["id"]):
                    self.err(rel, getattr(item, "line", 1), None, "each rule needs an 'id' in kebab-case")
                    continue
                rid, line = item["id"], item.line
                if rid in seen:
                    self.err(rel, line, None, f"rule '{rid}' is listed twice")
                seen.add(rid)
                allowed = RULE_KEYS | (
                    {"decline"} if key == "guards" else {"answer", "by_band", "applies_to", "lead_with_band"}
                )
                for k in item:
                    if k not in allowed | {"id"}:
                        self.err(
                            rel,
                            item.key_lines.get(k, line),
                            None,
                            f"rule '{rid}': unknown field '{k}' (expected {', '.join(sorted(allowed))})",
                        )
                rule = self.parse_rule(rel, item, rid, words_of)
                if rule is None:
                    continue
                if key == "guards":
                    decline = item.get("decline")
                    target = by_id.get(decline) if isinstance(decline, str) else None
                    if target is None or target.kind != "decline":
                        self.err(
                            rel,
                            item.key_lines.get("decline", line),
                            None,
                            f"guard '{rid}': decline must be the id of a decline entry, got {decline!r}",
                        )
                        continue
                    guards.append(Guard(rid, str(decline), rule))
                    continue
                answer, by_band_raw = item.get("answer"), item.get("by_band")
                by_band: dict[int, str] = {}
                if isinstance(by_band_raw, dict):
                    for band_key, eid in by_band_raw.items():
                        band = int(band_key) if str(band_key).isdigit() else None
                        if band is None or not isinstance(eid, str) or eid not in by_id:
                            self.err(
                                rel,
                                item.key_lines.get("by_band", line),
                                None,
                                f"facet '{rid}': by_band maps a band number to an entry id, got {band_key!r}: {eid!r}",
                            )
                            continue
                        by_band[band] = eid
                if (answer is None) == (not by_band):
                    self.err(rel, line, None, f"facet '{rid}' needs exactly one of 'answer' (an entry id) or 'by_band'")
                    continue
                if answer is not None and answer not in by_id:
                    self.err(rel, item.key_lines.get("answer", line), None, f"facet '{rid}': unknown entry '{answer}'")
                    continue
                applies = item.get("applies_to") or []
                if not isinstance(applies, list) or any(a not in by_id for a in applies):
                    self.err(
                        rel,
                        item.key_lines.get("applies_to", line),
                        None,
                        f"facet '{rid}': applies_to must list entry ids that exist",
                    )
                    continue
                facets.append(Facet(rid, rule, answer, by_band, tuple(applies), bool(item.get("lead_with_band"))))
        return Rules(tuple(guards), tuple(facets))

    def parse_rule(self, rel: str, item: Any, rid: str, words_of) -> Rule | None:
        def phrases(key: str) -> tuple[tuple[str, ...], ...] | None:
            value = item.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                self.err(
                    rel, item.key_lines.get(key, item.line), None, f"rule '{rid}': '{key}' must be a list of phrases"
                )
                return None
            return prepare_phrases(value, words_of)

        any_, unless = phrases("any"), phrases("unless")
        groups_raw = item.get("all", [])
        groups: list[tuple[tuple[str, ...], ...]] = []
        if not isinstance(groups_raw, list) or not all(isinstance(g, list) and g for g in groups_raw):
            self.err(
                rel,
                item.key_lines.get("all", item.line),
                None,
                f"rule '{rid}': 'all' must be a list of lists of phrases (one phrase from each list must appear)",
            )
            return None
        for g in groups_raw:
            if not all(isinstance(v, str) and v.strip() for v in g):
                self.err(rel, item.key_lines.get("all", item.line), None, f"rule '{rid}': 'all' lists hold phrases")
                return None
            groups.append(prepare_phrases(g, words_of))
        if any_ is None or unless is None:
            return None
        if not any_ and not groups:
            self.err(rel, item.line, None, f"rule '{rid}' needs 'any' or 'all' phrases to fire on")
            return None
        return Rule(any_, tuple(groups), unless)

    # topic files
    def check_topic_file(self, path: Path) -> tuple[Topic | None, list[Entry]]:
        rel = self.rel(path)
        data = self.read(path)
        if data is None:
            return None, []
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            self.err(rel, 1, None, "must be a mapping with 'topic' (a title) and 'entries' (a list)")
            return None, []
        for key in data:
            if key not in {"topic", "entries"}:
                self.err(rel, data.key_lines[key], None, f"unknown top-level key '{key}' (expected topic, entries)")
        title = data.get("topic")
        if not isinstance(title, str) or not title.strip():
            self.err(rel, 1, None, "needs a 'topic' title")
            title = path.stem
        entries = []
        for raw in data["entries"]:
            entry = self.check_entry(rel, title.strip(), raw, data.key_lines["entries"])
            if entry is not None:
                entries.append(entry)
        return Topic(title.strip(), rel, tuple(e.id for e in entries)), entries

    def check_entry(self, rel: str, topic: str, raw: Any, list_line: int) -> Entry | None:
        if not isinstance(raw, dict):
            self.err(rel, list_line, None, "each entry must be a mapping of fields (id, question, ...)")
            return None
        line = raw.line
        eid = raw.get("id")
        if not isinstance(eid, str) or not _ID.match(eid):
            self.err(rel, raw.key_lines.get("id", line), None, f"id must be kebab-case text like 'band-5', got {eid!r}")
            return None

        def where(key: str) -> int:
            return raw.key_lines.get(key, line)

        for key in raw:
            if key not in ENTRY_FIELDS:
                hint = difflib.get_close_matches(key, ENTRY_FIELDS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else " (for a note to other curators, use a # comment)"
                self.err(rel, where(key), eid, f"unknown field '{key}'{extra}")
        required = REQUIRED_FIELDS if "nations" in raw else (*REQUIRED_FIELDS, "answer")
        missing = [k for k in required if raw.get(k) in (None, "", [])]
        for key in missing:
            self.err(rel, line, eid, f"missing required field '{key}'")
        kind: EntryKind = raw.get("kind", "answer")
        if kind not in KINDS:
            self.err(rel, where("kind"), eid, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
            kind = "answer"

        question = raw.get("question")
        if not isinstance(question, str) or not question.strip():
            if "question" not in missing:
                self.err(rel, where("question"), eid, "question must be text")
            question = ""
        alternates = self.strings(rel, where("alternates"), eid, raw.get("alternates"), "alternates")
        if alternates is not None and len(alternates) < MIN_ALTERNATES and "alternates" not in missing:
            self.err(
                rel, where("alternates"), eid, f"needs at least {MIN_ALTERNATES} alternates, has {len(alternates)}"
            )

        answer = raw.get("answer", "")
        if not isinstance(answer, str):
            if "answer" not in missing:
                self.err(rel, where("answer"), eid, "answer must be text")
            answer = ""
        answer = self.fill(rel, where("answer"), eid, answer.strip())
        if answer:
            self.check_inline_links(rel, where("answer"), eid, answer)

        links = self.parse_links(rel, where, eid, raw.get("links"))
        related = self.strings(rel, where("related"), eid, raw.get("related"), "related") or []
        if kind in ("answer", "bot") and not 1 <= len(related) <= 4:
            self.err(rel, where("related"), eid, f"related must list 1 to 4 entry ids, has {len(related)}")
        elif len(related) > 4:
            self.err(rel, where("related"), eid, f"related may list at most 4 entry ids, has {len(related)}")
        if eid in related:
            self.err(rel, where("related"), eid, "an entry cannot be related to itself")

        sources = self.urls(rel, where("source"), eid, raw.get("source"), "source", strict=True)
        corroboration = self.urls(
            rel, where("corroboration"), eid, raw.get("corroboration"), "corroboration", strict=False
        )

        reviewed = raw.get("reviewed")
        if not isinstance(reviewed, dt.date):
            if "reviewed" not in missing:
                self.err(rel, where("reviewed"), eid, f"reviewed must be a date like 2026-11-27, got {reviewed!r}")
            reviewed = dt.date.min
        elif reviewed > self.today:
            self.err(rel, where("reviewed"), eid, f"reviewed date {reviewed} is in the future (today is {self.today})")
        elif (self.today - reviewed).days > REVIEW_WARN_DAYS:
            self.warn(rel, where("reviewed"), eid, f"not reviewed since {reviewed}: check it against its source")

        valid_until = self.parse_valid_until(rel, where("valid_until"), eid, raw.get("valid_until"))
        nations = self.parse_nations(rel, where, eid, raw.get("nations"), kind) if "nations" in raw else ()

        # what members see, nation by nation (or once, for an entry that is the same everywhere)
        views: list[tuple[str, str, tuple[Link, ...], dt.date | None, int]] = []
        if nations:
            for part in nations:
                text = "\n\n".join(t for t in (answer, part.answer) if t)
                until = min((d for d in (valid_until, part.valid_until) if d), default=None)
                views.append(
                    (f" (for {LABELS[part.nation]})", text, tuple(links) + part.links, until, where("nations"))
                )
        elif answer or "answer" not in missing:
            views.append(("", answer, tuple(links), valid_until, where("answer")))
        for label, text, shown_links, until, at in views:
            if not text:
                continue
            low, high = WORD_LIMITS[kind]
            words = _word_count(text)
            if not low <= words <= high:
                self.err(rel, at, eid, f"answer{label} has {words} words; keep it between {low} and {high}")
            if kind == "answer" and not shown_links:
                self.err(rel, where("links"), eid, f"needs at least one link{label} (title and https url)")
            self.check_figures(rel, at, eid, text, until, label)
        for date_line, until in [(where("valid_until"), valid_until)] + [
            (where("nations"), p.valid_until) for p in nations
        ]:
            self.check_expiry(rel, date_line, eid, until)

        title = raw.get("title", "")
        if not isinstance(title, str) or len(title.strip()) > MAX_TITLE:
            self.err(rel, where("title"), eid, f"title must be a short heading of at most {MAX_TITLE} characters")
            title = ""
        elif kind == "decline" and not title.strip():
            self.err(rel, line, eid, "a decline needs a 'title': the heading members see, such as 'That one is for HR'")

        shortcuts = self.strings(rel, where("shortcuts"), eid, raw.get("shortcuts"), "shortcuts") or []
        for s in shortcuts:
            if not _SHORTCUT.match(s):
                self.err(rel, where("shortcuts"), eid, f"shortcut '{s}' must be one lower-case word or number")
            elif s in RESERVED_SHORTCUTS:
                self.err(rel, where("shortcuts"), eid, f"shortcut '{s}' is reserved by the bot")

        return Entry(
            id=eid,
            question=question.strip(),
            alternates=tuple(alternates or ()),
            answer=answer,
            links=tuple(links),
            related=tuple(related),
            source=tuple(sources),
            reviewed=reviewed,
            topic=topic,
            file=rel,
            line=line,
            shortcuts=tuple(shortcuts),
            kind=kind,
            valid_until=valid_until,
            nations=nations,
            corroboration=tuple(corroboration),
            title=title.strip(),
        )

    def parse_nations(self, rel: str, where: Where, eid: str, value: Any, kind: str) -> tuple[NationPart, ...]:
        line = where("nations")
        if not isinstance(value, dict):
            self.err(
                rel, line, eid, "nations must list england, scotland, wales and northern-ireland, each with its part"
            )
            return ()
        for key in value:
            if key not in NATIONS:
                hint = difflib.get_close_matches(str(key).lower().replace(" ", "-"), NATIONS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.err(rel, value.key_lines[key], eid, f"unknown nation '{key}'{extra}")
        parts = []
        for nation in NATIONS:
            name = LABELS[nation]
            raw = value.get(nation)
            if raw is None:
                self.err(
                    rel,
                    line,
                    eid,
                    f"nations: {name} is missing. Add '{nation}:' with its own 'answer', or with "
                    f"'nothing_specific:' saying plainly that {name} has nothing of its own here and what "
                    "applies instead",
                    rule="nation-missing",
                )
                continue
            at = value.key_lines.get(nation, line)
            if not isinstance(raw, dict):
                self.err(rel, at, eid, f"nations: {name} must have an 'answer' or a 'nothing_specific' text")
                continue
            for key in raw:
                if key not in NATION_FIELDS:
                    hint = difflib.get_close_matches(key, NATION_FIELDS, n=1)
                    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                    self.err(rel, raw.key_lines[key], eid, f"unknown field '{key}' for {name}{extra}")
            answer, nothing = raw.get("answer"), raw.get("nothing_specific")
            if (answer is None) == (nothing is None):
                self.err(
                    rel,
                    at,
                    eid,
                    f"nations: {name} needs exactly one of 'answer' (what is true there) or 'nothing_specific' "
                    "(that nothing specific exists there, and what applies instead)",
                )
                continue
            text = answer if answer is not None else nothing
            if not isinstance(text, str) or not text.strip():
                self.err(rel, at, eid, f"nations: {name}: the text must not be empty")
                continue
            text = self.fill(rel, at, eid, text.strip())
            self.check_inline_links(rel, at, eid, text)
            if nothing is not None and _word_count(text) < MIN_NOTHING_SPECIFIC_WORDS:
                self.err(
                    rel,
                    at,
                    eid,
                    f"nations: {name}: 'nothing_specific' must say in a sentence what applies instead "
                    f"(at least {MIN_NOTHING_SPECIFIC_WORDS} words)",
                )

            def part_where(key: str, r: Any = raw, a: int = at) -> int:
                return r.key_lines.get(key, a)

            part_links = self.parse_links(rel, part_where, eid, raw.get("links"))
            sources = self.urls(rel, raw.key_lines.get("source", at), eid, raw.get("source"), "source", strict=True)
            self.urls(
                rel, raw.key_lines.get("corroboration", at), eid, raw.get("corroboration"), "corroboration", False
            )
            until = self.parse_valid_until(rel, raw.key_lines.get("valid_until", at), eid, raw.get("valid_until"))
            parts.append(NationPart(nation, text, tuple(part_links), tuple(sources), until, nothing is not None))
        return tuple(parts) if len(parts) == len(NATIONS) else ()

    def parse_valid_until(self, rel: str, line: int, eid: str, value: Any) -> dt.date | None:
        if value is None:
            return None
        if not isinstance(value, dt.date):
            self.err(rel, line, eid, f"valid_until must be a date like 2027-03-31, got {value!r}")
            return None
        return value

    def check_figures(self, rel: str, line: int, eid: str, text: str, until: dt.date | None, label: str) -> None:
        figure = _FIGURE.search(text)
        if figure and until is None:
            self.err(
                rel, line, eid, f"answer{label} quotes a figure ({figure.group(0).strip()}) but has no valid_until date"
            )
        year_end = latest_year_end(text)
        if until is not None and year_end is not None and until > year_end:
            self.err(
                rel,
                line,
                eid,
                f"answer{label} quotes figures for the year ending {year_end:%-d %B %Y} but valid_until is {until}: "
                f"a figure for that year holds until {year_end} at the latest",
                rule="year",
            )

    def check_expiry(self, rel: str, line: int, eid: str, until: dt.date | None) -> None:
        if until is None:
            return
        if until < self.today:
            self.err(
                rel,
                line,
                eid,
                f"valid_until {until} has passed: re-check the figures against the source and move it on "
                "(the bot keeps answering, with a warning that the figures may be out of date)",
                rule="expired",
            )
        elif (until - self.today).days <= EXPIRY_WARN_DAYS:
            self.warn(
                rel,
                line,
                eid,
                f"valid_until {until} is {(until - self.today).days} day(s) away: re-check the figures before then",
                rule="expiring",
            )

    def strings(self, rel: str, line: int, eid: str, value: Any, name: str) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.err(rel, line, eid, f"{name} must be a list of non-empty text items")
            return None
        return [v.strip() for v in value]

    def urls(self, rel: str, line: int, eid: str, value: Any, name: str, strict: bool) -> list[str]:
        items = [value] if isinstance(value, str) else value
        out = self.strings(rel, line, eid, items, name) or []
        for url in out:
            self.check_url(rel, line, eid, url, name, strict=strict)
        return out

    def parse_links(self, rel: str, where: Where, eid: str, value: Any) -> list[Link]:
        out: list[Link] = []
        if value is None or value == []:
            return out
        if not isinstance(value, list):
            self.err(rel, where("links"), eid, "links must be a list of {title, url}")
            return out
        for item in value:
            line = getattr(item, "line", where("links"))
            if not isinstance(item, dict) or set(item) != {"title", "url"}:
                self.err(rel, line, eid, "each link needs exactly a 'title' and a 'url'")
                continue
            title = self.fill(rel, line, eid, str(item["title"]).strip())
            url = self.fill(rel, line, eid, str(item["url"]).strip())
            self.check_url(rel, line, eid, url, "link", strict=True)
            out.append(Link(title, url))
        return out

    # across files
    @staticmethod
    def _example_conflict(key, expect, declines, asked_as, phrased_as) -> str:
        """Why an example's label disagrees with another example or an alternate of the same words, or ''.
        ('fallback' agrees with any decline entry.)"""

        def same(a: str, b: str) -> bool:
            return a == b or (a in declines and b in declines)

        if key in asked_as and not same(asked_as[key][0], expect):
            return f"is also an example for '{asked_as[key][0]}' in {asked_as[key][1]}"
        if key in phrased_as and not same(phrased_as[key], expect):
            return f"is an alternate of '{phrased_as[key]}'"
        return ""

    def check_examples(self, entries: list[Entry]) -> tuple[Example, ...]:
        """knowledge/examples/*.yaml: questions members ask (`q`), each with the entry that answers it (`expect`,
        or `fallback` for one the bot should not answer). The matcher learns from them as it does from the
        alternates; `physio-career eval --held-out FILE` measures a file with its own examples left out.

        A label that is not an entry is a warning and that example is skipped: a renamed entry must not stop
        the bot. Follow-up questions (`follow_up_of`) are measured but not learned from: they need the question
        before them. Every entry members can be answered with should have examples, so the measure grows with
        the knowledge."""
        folder = self.dir / "examples"
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        ids = {e.id: e for e in entries}
        out: list[Example] = []
        labelled: set[str] = set()
        asked_as: dict[str, tuple[str, str]] = {}  # normalised question -> (label, file) of its first example
        phrased_as = {normalise(p): e.id for e in entries for p in e.phrasings}
        declines = {"fallback"} | {e.id for e in entries if e.kind == "decline"}
        first_problem, broken_before = len(self.problems), list(self.broken_files)
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            self.err(self.rel(path), None, None, f"example files must end in .yaml: rename it to {path.stem}.yaml")
        for path in files:
            rel = self.rel(path)
            if not path.is_file():
                self.err(rel, None, None, "is not a file (a folder, or a link to nothing): remove it")
                continue
            try:
                data = self.read(path)
            except OSError as exc:
                self.err(rel, None, None, f"cannot be read ({exc.strerror or exc})")
                continue
            if data is None and rel in self.broken_files:
                continue  # read() said what is wrong with it
            items = data.get("questions") if isinstance(data, dict) else None
            if not isinstance(items, list):
                self.err(rel, 1, None, "must have a 'questions' list of items with 'q' (the question) and 'expect'")
                continue
            for n, item in enumerate(items, 1):
                line = None
                if isinstance(item, _LineDict):
                    line = item.key_lines.get("q")
                q = item.get("q") if isinstance(item, dict) else None
                expect = item.get("expect") if isinstance(item, dict) else None
                if not isinstance(item, dict) or "q" not in item or not isinstance(expect, str) or not expect:
                    self.err(rel, line, None, f"item {n} needs 'q' (the question) and 'expect' (an entry or fallback)")
                    continue
                if not isinstance(q, str):
                    self.err(
                        rel, line, None, f'item {n}: put the question in double quotes ("...") so it is read as text'
                    )
                    continue
                if not normalise(q):
                    self.warn(rel, line, None, f"item {n} has no words to learn from, so it is skipped")
                    continue
                if expect != "fallback" and expect not in ids:
                    self.warn(
                        rel,
                        line,
                        expect,
                        f"item {n} expects '{expect}', which is not an entry, so the bot does not learn from it: "
                        "use the entry's id (or fallback)",
                        rule="unknown-example",
                    )
                    continue
                labelled.add(expect)
                if isinstance(item.get("follow_up_of"), int):
                    continue
                key = normalise(q)
                other = self._example_conflict(key, expect, declines, asked_as, phrased_as)
                if other:
                    message = f"item {n} ('{q.strip()}') {other}: keep one label"
                    self.warn(rel, line, expect, message, rule="example-conflict")
                asked_as.setdefault(key, (expect, rel))
                out.append(Example(q.strip(), expect, path.stem))
        # A broken example file fails lint and CI, but never stops the running bot: it learns from the rest.
        self.broken_files[:] = broken_before  # and it says nothing about the entries the other checks read
        self.problems[first_problem:] = [
            replace(p, rule="bad-example") if p.level == "error" else p for p in self.problems[first_problem:]
        ]
        if not files:
            return ()
        for e in entries:
            if e.kind in ("answer", "bot") and e.id not in labelled:
                example = '"' + e.question.lower().rstrip("?").replace("\\", "").replace('"', "'") + '"'
                self.warn(
                    e.file,
                    e.line,
                    e.id,
                    "has no example question in knowledge/examples/. Add two or three questions the way members "
                    f"would ask them, for example:\n  - q: {example}\n    expect: {e.id}",
                    rule="unlabelled",
                )
        return tuple(out)

    def check_across_files(self, entries: list[Entry]) -> None:
        first: dict[str, Entry] = {}
        for e in entries:
            if e.id in first:
                other = first[e.id]
                self.err(e.file, e.line, e.id, f"duplicate id (also at {other.file}:{other.line})")
            else:
                first[e.id] = e
        phrasing_owner: dict[str, Entry] = {}
        shortcut_owner: dict[str, Entry] = {}
        for e in entries:
            for rid in e.related:
                if rid not in first:
                    if self.broken_files:
                        continue  # it may be in the file that could not be read: that error says it all
                    hint = difflib.get_close_matches(rid, first, n=1)
                    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                    self.err(e.file, e.line, e.id, f"related id '{rid}' does not exist{extra}")
                elif first[rid].kind == "decline":
                    self.err(e.file, e.line, e.id, f"related id '{rid}' is a decline, not an answer")
            seen_here: set[str] = set()
            for phrase in e.phrasings:
                key = normalise(phrase)
                if not key:
                    continue
                owner = phrasing_owner.get(key)
                if owner is not None and owner.id != e.id:
                    self.err(e.file, e.line, e.id, f"alternate '{phrase}' is also under entry '{owner.id}'")
                elif key in seen_here and phrase != e.question:
                    self.warn(e.file, e.line, e.id, f"alternate '{phrase}' is listed twice")
                phrasing_owner.setdefault(key, e)
                seen_here.add(key)
            for s in e.shortcuts:
                owner = shortcut_owner.get(s)
                if owner is not None and owner.id != e.id:
                    self.err(e.file, e.line, e.id, f"shortcut '{s}' is also used by entry '{owner.id}'")
                shortcut_owner.setdefault(s, e)


def check_knowledge(directory: str | Path = DEFAULT_DIR, *, today: dt.date | None = None):
    """Read and check every file; return (KnowledgeBase or None, problems)."""
    directory = Path(directory).resolve()
    checker = _Checker(directory, today or dt.date.today())
    if not directory.is_dir():
        hint = " (give the folder, not a file)" if directory.is_file() else ""
        checker.err(str(directory), None, None, f"is not a folder of knowledge files{hint}")
        return None, checker.problems
    notices = checker.check_settings()
    synonyms = checker.check_synonyms()
    cues = checker.check_nations()
    for path in sorted(directory.glob("*.yml")):
        checker.err(
            checker.rel(path),
            None,
            None,
            f"knowledge files must end in .yaml, so this one is not read: rename it to {path.stem}.yaml",
        )
    topics: list[Topic] = []
    entries: list[Entry] = []
    files = sorted(p for p in directory.glob("*.yaml") if p.name not in SPECIAL_FILES)
    if not files:
        checker.err(str(directory), None, None, "has no topic files (*.yaml)")
    for path in files:
        topic, found = checker.check_topic_file(path)
        if topic is not None:
            topics.append(topic)
            entries.extend(found)
    checker.check_across_files(entries)
    examples = checker.check_examples(entries)
    rules = checker.check_rules({e.id: e for e in entries}, synonyms)
    pathways = check_pathways(checker, {e.id: e for e in entries})
    kb = KnowledgeBase(
        entries=tuple(entries),
        topics=tuple(topics),
        synonyms=synonyms,
        placeholders=dict(checker.placeholders),
        notices=notices,
        directory=str(directory),
        nation_cues=cues,
        rules=rules,
        pathways=pathways,
        examples=examples,
    )
    return kb, checker.problems


# Problems that lint (and so CI) fails on but that never stop a running bot from answering.
SERVING_TOLERATES = {"expired", "bad-example"}


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    """The errors that stop the bot from starting: any error but a passed valid_until."""
    return [p for p in problems if p.level == "error" and p.rule not in SERVING_TOLERATES]


def load_knowledge(directory: str | Path = DEFAULT_DIR, *, today: dt.date | None = None) -> KnowledgeBase:
    """Load the knowledge base to serve it, or raise KnowledgeError listing every error that stops it.

    An entry whose figures are past their `valid_until` is still served (with a warning line in the answer);
    only lint fails on it.
    """
    kb, problems = check_knowledge(directory, today=today)
    errors = blocking(problems)
    if kb is None or errors:
        raise KnowledgeError(errors)
    return kb
