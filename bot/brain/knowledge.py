"""Load and check the curated knowledge base (`knowledge/*.yaml`).

`check_knowledge(dir)` returns the knowledge base (when usable) and every problem found, each naming its file,
line and entry id; `load_knowledge(dir)` raises `KnowledgeError` when there is any error. Nothing here knows
about Slack or any other channel.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.brain.markdown import MarkdownError, parse_markdown
from bot.brain.text import normalise
from bot.errors import KnowledgeError, Problem

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
SPECIAL_FILES = {"synonyms.yaml", "settings.yaml"}
KINDS = ("answer", "smalltalk", "bot", "decline")
ENTRY_FIELDS = {
    "id",
    "question",
    "alternates",
    "shortcuts",
    "answer",
    "links",
    "related",
    "source",
    "reviewed",
    "valid_until",
    "kind",
}
REQUIRED_FIELDS = ("id", "question", "alternates", "answer", "source", "reviewed")
RESERVED_SHORTCUTS = {"help", "report", "topics", "feedback"}
MIN_ALTERNATES = 6
WORD_LIMITS = {"answer": (40, 180), "bot": (40, 180), "smalltalk": (1, 180), "decline": (20, 180)}
REVIEW_WARN_DAYS = 365
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SHORTCUT = re.compile(r"^[a-z0-9]+$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_FIGURE = re.compile(r"£\s?\d|\d\s?%|\d+(?:\.\d+)? per ?cent")


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    links: tuple[Link, ...]
    related: tuple[str, ...]
    source: tuple[str, ...]
    reviewed: dt.date
    topic: str
    file: str
    line: int
    shortcuts: tuple[str, ...] = ()
    kind: str = "answer"
    valid_until: dt.date | None = None

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then the alternates."""
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Topic:
    title: str
    file: str
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Notice:
    """A time-bound message; `start`/`end` are (month, day) for a yearly window or full dates."""

    id: str
    text: str
    start: dt.date | tuple[int, int]
    end: dt.date | tuple[int, int]
    source: str = ""

    def in_force(self, day: dt.date) -> bool:
        if isinstance(self.start, dt.date) and isinstance(self.end, dt.date):
            return self.start <= day <= self.end
        today = (day.month, day.day)
        start, end = self.start, self.end
        if start <= end:  # type: ignore[operator]
            return start <= today <= end  # type: ignore[operator]
        return today >= start or today <= end  # type: ignore[operator]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    synonyms: dict[str, tuple[str, ...]]
    placeholders: dict[str, str]
    notices: tuple[Notice, ...] = ()
    directory: str = ""
    by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def notices_in_force(self, day: dt.date) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.in_force(day))

    def answerable(self) -> Iterable[Entry]:
        """Entries a member can be shown as answers (not the declines)."""
        return (e for e in self.entries if e.kind != "decline")


# --- YAML with line numbers -------------------------------------------------------------------------------


class _LineDict(dict):
    line: int = 0
    key_lines: dict


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when installed: 5x faster
    """A safe loader whose mappings remember the line of each key (1-based)."""


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
                None, None, f"the key '{key}' appears twice in one entry", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, rel: str, problems: list[Problem]):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem("error", rel, None, None, f"is not UTF-8 text ({exc.reason})"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}: {reason}" if context else reason
        problems.append(Problem("error", rel, line, None, f"is not valid YAML: {detail}"))
        return None


# --- checks -----------------------------------------------------------------------------------------------


def _domain_ok(host: str, domains: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _word_count(markdown: str) -> int:
    plain = re.sub(r"\]\([^)]*\)", "]", markdown)
    return len(re.findall(r"[A-Za-z0-9£][\w'’£.,%/-]*", plain))


class _Checker:
    def __init__(self, directory: Path, today: dt.date):
        self.dir = directory
        self.today = today
        self.problems: list[Problem] = []
        self.placeholders: dict[str, str] = {}
        self.allowed: tuple[str, ...] = ()
        self.blocked: tuple[str, ...] = ()

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.dir.parent))
        except ValueError:
            return str(path)

    def err(self, file: str, line: int | None, entry: str | None, message: str) -> None:
        self.problems.append(Problem("error", file, line, entry, message))

    def warn(self, file: str, line: int | None, entry: str | None, message: str) -> None:
        self.problems.append(Problem("warning", file, line, entry, message))

    # settings.yaml
    def settings(self) -> tuple[Notice, ...]:
        path = self.dir / "settings.yaml"
        rel = self.rel(path)
        if not path.exists():
            self.err(rel, None, None, "is missing (it holds the placeholders, notices and link rules)")
            return ()
        data = _read_yaml(path, rel, self.problems)
        if data is None:
            return ()
        if not isinstance(data, dict):
            self.err(rel, 1, None, "must be a mapping with 'placeholders', 'notices' and 'links'")
            return ()
        for key in data:
            if key not in {"placeholders", "notices", "links"}:
                self.err(rel, data.key_lines[key], None, f"unknown section '{key}'")
        placeholders = data.get("placeholders") or {}
        if not isinstance(placeholders, dict):
            self.err(rel, data.key_lines.get("placeholders"), None, "'placeholders' must map names to text")
            placeholders = {}
        for name, value in placeholders.items():
            if not isinstance(value, str) or not value.strip():
                self.err(rel, placeholders.key_lines[name], None, f"placeholder '{name}' must be non-empty text")
            else:
                self.placeholders[name] = value.strip()
        links = data.get("links") or {}
        if isinstance(links, dict):
            self.allowed = tuple(str(d).lower() for d in links.get("allowed_domains") or ())
            self.blocked = tuple(str(d).lower() for d in links.get("blocked_domains") or ())
        if not self.allowed:
            self.err(rel, data.key_lines.get("links"), None, "'links.allowed_domains' must list at least one domain")
        for name, value in self.placeholders.items():
            if value.startswith("http"):
                self.url(rel, placeholders.key_lines[name], None, value, f"placeholder '{name}'", strict=True)
        return self.notices(rel, data)

    def notices(self, rel: str, data: dict) -> tuple[Notice, ...]:
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
            unknown = set(item) - {"id", "from", "until", "text", "source"}
            for key in sorted(unknown):
                self.err(rel, item.key_lines[key], nid or None, f"unknown notice field '{key}'")
            start = self.when(rel, item, "from", nid)
            end = self.when(rel, item, "until", nid)
            text = item.get("text")
            if not nid or not isinstance(text, str) or not text.strip():
                self.err(rel, item.line, nid or None, "a notice needs an 'id' and a 'text'")
                continue
            if start is None or end is None:
                continue
            if type(start) is not type(end):
                self.err(rel, item.line, nid, "'from' and 'until' must both be dates or both month-days")
                continue
            text = self.fill(rel, item.key_lines["text"], nid, text.strip())
            self.inline_links(rel, item.key_lines["text"], nid, text)
            out.append(Notice(nid, text, start, end, str(item.get("source") or "")))
        return tuple(out)

    def when(self, rel: str, item: dict, key: str, nid: str):
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
            known = ", ".join(sorted(self.placeholders)) or "none"
            self.err(rel, line, entry, f"unknown placeholder '{{{name}}}' (known: {known})")
            return m.group(0)

        return _PLACEHOLDER.sub(sub, text)

    def url(self, rel: str, line: int | None, entry: str | None, url: str, what: str, strict: bool) -> None:
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
        elif not _domain_ok(host, self.allowed):
            self.err(
                rel,
                line,
                entry,
                f"{what} is not on an allowed domain: {host} (official pages only; see settings.yaml links)",
            )

    def inline_links(self, rel: str, line: int | None, entry: str | None, text: str) -> None:
        try:
            doc = parse_markdown(text)
        except MarkdownError as exc:
            self.err(rel, line, entry, f"answer: {exc}")
            return
        for url in doc.urls():
            self.url(rel, line, entry, url, "a link in the answer", strict=True)

    # synonyms.yaml
    def synonyms(self) -> dict[str, tuple[str, ...]]:
        path = self.dir / "synonyms.yaml"
        rel = self.rel(path)
        if not path.exists():
            self.warn(rel, None, None, "is missing: no synonyms will be applied")
            return {}
        data = _read_yaml(path, rel, self.problems)
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

    # topic files
    def topic_file(self, path: Path) -> tuple[Topic | None, list[Entry]]:
        rel = self.rel(path)
        data = _read_yaml(path, rel, self.problems)
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
            entry = self.entry(rel, title.strip(), raw, data.key_lines["entries"])
            if entry is not None:
                entries.append(entry)
        return Topic(title.strip(), rel, tuple(e.id for e in entries)), entries

    def entry(self, rel: str, topic: str, raw, list_line: int) -> Entry | None:
        if not isinstance(raw, dict):
            self.err(rel, list_line, None, "each entry must be a mapping of fields (id, question, ...)")
            return None
        line = raw.line
        eid = raw.get("id")
        if not isinstance(eid, str) or not _ID.match(eid):
            self.err(rel, raw.key_lines.get("id", line), None, f"id must be kebab-case text like 'band-5', got {eid!r}")
            return None
        where = lambda key: raw.key_lines.get(key, line)  # noqa: E731
        for key in raw:
            if key not in ENTRY_FIELDS:
                hint = difflib.get_close_matches(key, ENTRY_FIELDS, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.err(rel, where(key), eid, f"unknown field '{key}'{extra}")
        missing = [k for k in REQUIRED_FIELDS if raw.get(k) in (None, "", [])]
        for key in missing:
            self.err(rel, line, eid, f"missing required field '{key}'")
        kind = raw.get("kind", "answer")
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

        answer = raw.get("answer")
        if not isinstance(answer, str):
            if "answer" not in missing:
                self.err(rel, where("answer"), eid, "answer must be text")
            answer = ""
        answer = self.fill(rel, where("answer"), eid, answer.strip())
        if answer:
            self.inline_links(rel, where("answer"), eid, answer)
            low, high = WORD_LIMITS[kind]
            words = _word_count(answer)
            if not low <= words <= high:
                self.err(rel, where("answer"), eid, f"answer has {words} words; keep it between {low} and {high}")

        links = self.links(rel, where, eid, raw.get("links"), kind)
        related = self.strings(rel, where("related"), eid, raw.get("related"), "related") or []
        if kind in ("answer", "bot") and not 1 <= len(related) <= 4:
            self.err(rel, where("related"), eid, f"related must list 1 to 4 entry ids, has {len(related)}")
        elif len(related) > 4:
            self.err(rel, where("related"), eid, f"related may list at most 4 entry ids, has {len(related)}")
        if eid in related:
            self.err(rel, where("related"), eid, "an entry cannot be related to itself")

        source = raw.get("source")
        sources = [source] if isinstance(source, str) else source
        sources = self.strings(rel, where("source"), eid, sources, "source") or []
        for url in sources:
            self.url(rel, where("source"), eid, url, "source", strict=False)

        reviewed = raw.get("reviewed")
        if not isinstance(reviewed, dt.date):
            if "reviewed" not in missing:
                self.err(rel, where("reviewed"), eid, f"reviewed must be a date like 2026-11-27, got {reviewed!r}")
            reviewed = dt.date.min
        elif reviewed > self.today:
            self.err(rel, where("reviewed"), eid, f"reviewed date {reviewed} is in the future")
        elif (self.today - reviewed).days > REVIEW_WARN_DAYS:
            self.warn(rel, where("reviewed"), eid, f"not reviewed since {reviewed}: check it against its source")

        valid_until = raw.get("valid_until")
        if valid_until is not None and not isinstance(valid_until, dt.date):
            self.err(rel, where("valid_until"), eid, f"valid_until must be a date, got {valid_until!r}")
            valid_until = None
        if isinstance(valid_until, dt.date) and valid_until < self.today:
            self.err(
                rel,
                where("valid_until"),
                eid,
                f"valid_until {valid_until} has passed: re-check the figures against the source and move it on",
            )
        figure = _FIGURE.search(answer)
        if figure and valid_until is None:
            self.err(
                rel,
                where("answer"),
                eid,
                f"answer quotes a figure ({figure.group(0).strip()}) but has no valid_until date",
            )

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
        )

    def strings(self, rel: str, line: int, eid: str, value, name: str) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.err(rel, line, eid, f"{name} must be a list of non-empty text items")
            return None
        return [v.strip() for v in value]

    def links(self, rel: str, where, eid: str, value, kind: str) -> list[Link]:
        out: list[Link] = []
        if value is None or value == []:
            if kind == "answer":
                self.err(rel, where("links"), eid, "needs at least one link (title and https url)")
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
            self.url(rel, line, eid, url, "link", strict=True)
            out.append(Link(title, url))
        return out

    # across files
    def across(self, entries: list[Entry]) -> None:
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
        checker.err(str(directory), None, None, "is not a folder of knowledge files")
        return None, checker.problems
    notices = checker.settings()
    synonyms = checker.synonyms()
    topics: list[Topic] = []
    entries: list[Entry] = []
    files = sorted(p for p in directory.glob("*.yaml") if p.name not in SPECIAL_FILES)
    if not files:
        checker.err(str(directory), None, None, "has no topic files (*.yaml)")
    for path in files:
        topic, found = checker.topic_file(path)
        if topic is not None:
            topics.append(topic)
            entries.extend(found)
    checker.across(entries)
    kb = KnowledgeBase(
        entries=tuple(entries),
        topics=tuple(topics),
        synonyms=synonyms,
        placeholders=dict(checker.placeholders),
        notices=notices,
        directory=str(directory),
    )
    return kb, checker.problems


def load_knowledge(directory: str | Path = DEFAULT_DIR, *, today: dt.date | None = None) -> KnowledgeBase:
    """Load the knowledge base, or raise KnowledgeError listing every error (warnings are ignored)."""
    kb, problems = check_knowledge(directory, today=today)
    if kb is None or any(p.level == "error" for p in problems):
        raise KnowledgeError(problems)
    return kb
