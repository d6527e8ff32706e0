"""Slack rendering: the neutral `Reply` as Block Kit, plus the App Home view.

Pure functions (no Slack calls, no Slack library): each returns plain dicts ready for `chat.postMessage`,
`ack()`, `respond()` or `views.publish`. Every message has a plain `text` fallback for notifications and screen
readers. Anything we show is escaped (`&`, `<`, `>`), so text a member typed can never become `<!channel>`,
`<!here>` or `<@U...>` and ping anyone. Slack's size limits are respected here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bot import wording
from bot.brain.markdown import Document, Span, render, to_plain
from bot.brain.nations import LABELS, NATIONS
from bot.brain.reply import ANSWER, CLARIFY, HELP, Reply, Suggestion, TopicSummary
from bot.conversation.planner import INTRO as PLAN_INTRO
from bot.conversation.planner import START_LABEL as PLAN_START_LABEL
from bot.slack import ids

# Slack's limits (Block Kit reference).
MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50  # a message
MAX_HOME_BLOCKS = 100  # a Home tab view
MAX_BUTTON_TEXT = 75
MAX_HEADER_TEXT = 150
MAX_ACTIONS = 25  # elements in one actions block
MAX_CONTEXT = 10  # elements in one context block
MAX_URL = 3000
MAX_FALLBACK_TEXT = 3000  # our own cap: notifications show the first line or two anyway
MAX_ECHO = 150  # how much of a member's question we repeat back
MAX_LINK_BUTTONS = 5
MAX_SOURCES = 3

# Sent with every answer: no link previews, which would bury the answer under the first link's page.
NO_UNFURL: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}

Block = dict[str, Any]
Message = dict[str, Any]  # {"text": str, "blocks": [Block, ...]}

ABOUT = wording.ABOUT
HOW_TO_ASK = (
    "*How to ask*\n"
    "• Send me a direct message (the *Messages* tab above), in your own words.\n"
    f"• Type `{ids.COMMAND} band5` or `{ids.COMMAND} how do I become a physio?` in any channel: only you see "
    "the answer, and you can share it.\n"
    "• Mention me in a channel and I answer in a thread.\n"
    f"• `{ids.COMMAND} help` lists the topics and shortcuts."
)
NOT_IN_CHANNEL = (
    "I can't post in this conversation because I'm not in it. In a channel, invite me with "
    "`/invite @physio-career` and press *Share in channel* again; anywhere else, copy the answer."
)
# the words every channel shares
APOLOGY = wording.APOLOGY
REPORT_REFUSED = wording.REPORT_REFUSED
REPORT_UNAVAILABLE = wording.REPORT_UNAVAILABLE
REPORT_FAILED = wording.REPORT_FAILED
THANKS_UP = wording.THANKS_UP
THANKS_DOWN = wording.THANKS_DOWN


# --- text ---------------------------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Escape Slack's three control characters so the text shows as typed and never pings anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def echo(text: str, limit: int = MAX_ECHO) -> str:
    """A member's (plain) text made safe to show back: escaped, so it can never ping anyone, and capped.

    Shown in a `plain_text` element, so `*bold*`, `_italic_`, `~strike~` and backticks stay as typed.
    """
    plain = " ".join(text[: limit * 20].split())  # already plain: the listeners removed Slack's markup
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return escape(plain)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _span(span: Span) -> str:
    text = escape(span.text)
    if span.url:
        label = text.replace("|", "¦").strip() or escape(span.url)
        text = f"<{escape(span.url)}|{label}>"
    if span.bold and text.strip():
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        text = f"{lead}*{text.strip()}*{trail}"
    return text


def mrkdwn(doc: Document) -> str:
    """A knowledge-base document as Slack mrkdwn: *bold*, <url|links>, bullets as •."""
    return "\n\n".join(render(doc, _span, bullet="• "))


_TOKEN = re.compile(r"<[^>\n]*>|\S+|\s+")


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Cut mrkdwn into pieces of at most `limit` characters: at paragraphs, then lines, then words; never
    inside a <link> or an &amp; escape (only a single word longer than the limit is cut, and then hard)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""

    def flush() -> None:
        nonlocal current
        if current.strip():
            pieces.append(current.strip())
        current = ""

    def add(unit: str, sep: str) -> None:
        nonlocal current
        joined = f"{current}{sep}{unit}" if current else unit
        if len(joined) <= limit:
            current = joined
            return
        flush()
        if len(unit) <= limit:
            current = unit
        elif "\n" in unit:
            for line in unit.split("\n"):
                add(line, "\n")
        else:
            for token in _tokens(unit, limit):
                if len(current) + len(token) > limit:
                    flush()
                current = current + token if current else token.lstrip()

    for paragraph in text.split("\n\n"):
        add(paragraph, "\n\n")
    flush()
    return pieces


def _tokens(text: str, limit: int) -> list[str]:
    out = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        while len(token) > limit:
            cut = limit
            amp = token.rfind("&", 0, limit)
            if amp > limit - 6:  # do not cut an &amp; / &lt; / &gt; in half
                cut = amp or limit
            out.append(token[:cut])
            token = token[cut:]
        out.append(token)
    return out


def fallback_text(title: str, body: Document | str, notices: Sequence[Document] = (), lead: str = "") -> str:
    """The plain `text` of a message: what notifications and screen readers get. Escaped, capped."""
    parts = [lead] if lead else []
    parts.append(title)
    plain = body if isinstance(body, str) else to_plain(body)
    if plain:
        parts.append(plain)
    parts += ["Notice: " + to_plain(n) for n in notices]
    text = escape("\n\n".join(p for p in parts if p))
    return _clip_escaped(text, MAX_FALLBACK_TEXT)


def _clip_escaped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp > limit - 7 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


# --- blocks -------------------------------------------------------------------------------------------------
def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(" ".join(text.split()) or "…", limit), "emoji": True}


def _header(text: str) -> Block:
    return {"type": "header", "block_id": ids.BLOCK_TITLE, "text": _plain(text, MAX_HEADER_TEXT)}


def _section(text: str, block_id: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}}


def _context(texts: Sequence[str], block_id: str) -> Block:
    elements = [{"type": "mrkdwn", "text": t[:MAX_SECTION_TEXT]} for t in texts if t][:MAX_CONTEXT]
    return {"type": "context", "block_id": block_id, "elements": elements}


def _button(text: str, action_id: str, *, value: str | None = None, url: str | None = None, style: str = "") -> Block:
    button: Block = {"type": "button", "action_id": action_id, "text": _plain(text, MAX_BUTTON_TEXT)}
    if value is not None:
        button["value"] = value[: ids.MAX_VALUE]
    if url is not None:
        button["url"] = url
    if style:
        button["style"] = style
    return button


def _actions(buttons: Sequence[Block], block_id: str) -> list[Block]:
    """One or more actions blocks (Slack allows 25 elements in each)."""
    out = []
    for i in range(0, len(buttons), MAX_ACTIONS):
        bid = block_id if i == 0 else f"{block_id}_{i // MAX_ACTIONS}"
        out.append({"type": "actions", "block_id": bid, "elements": list(buttons[i : i + MAX_ACTIONS])})
    return out


def _notice_blocks(notices: Sequence[Document]) -> list[Block]:
    out = []
    for i, notice in enumerate(notices):
        for j, piece in enumerate(split_text(":warning: " + mrkdwn(notice))):
            out.append(_section(piece, f"{ids.BLOCK_NOTICE}_{i}_{j}"))
    return out


def _body_blocks(doc: Document, budget: int) -> list[Block]:
    pieces = split_text(mrkdwn(doc))
    if len(pieces) > budget:
        pieces = pieces[: max(budget - 1, 0)] + ["_This answer is too long to show here in full; see the links._"]
    return [_section(p, f"{ids.BLOCK_ANSWER}_{i}") for i, p in enumerate(pieces[:budget])]


def _suggestion_buttons(
    suggestions: Sequence[Suggestion], action_id: str, ref: str | None, start: int = 0
) -> list[Block]:
    return [
        _button(s.label, ids.numbered(action_id, start + i), value=ids.pack(entry=s.entry_id, ref=ref))
        for i, s in enumerate(suggestions)
    ]


def _topic_buttons(topics: Sequence[TopicSummary], ref: str | None) -> list[Block]:
    return [
        _button(t.title, ids.numbered(ids.ACTION_TOPIC, i), value=ids.pack(topic=t.title, ref=ref))
        for i, t in enumerate(topics)
    ]


def _shortcut_lines(topics: Sequence[TopicSummary]) -> str:
    lines = ["*Topics and shortcuts*"]
    for t in topics:
        shortcuts = ", ".join(f"`{escape(s)}`" for s in t.shortcuts)
        lines.append(f"• *{escape(t.title)}*" + (f": {shortcuts}" if shortcuts else ""))
    return "\n".join(lines)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or url).lower()
    return host[4:] if host.startswith("www.") else host


def _source_line(reply: Reply) -> str:
    parts = []
    if reply.source:
        shown = [
            f"<{escape(s)}|{escape(_host(s))}>" if s.startswith(("https://", "http://")) else escape(s)
            for s in reply.source[:MAX_SOURCES]
        ]
        more = len(reply.source) - MAX_SOURCES
        parts.append("Source: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    if reply.reviewed:
        parts.append(f"Reviewed {reply.reviewed.day} {reply.reviewed:%B %Y}")
    return " · ".join(parts)


def _link_buttons(reply: Reply) -> list[Block]:
    buttons = []
    links = [link for link in reply.links if len(link.url) <= MAX_URL][:MAX_LINK_BUTTONS]
    # the toolkit (primary) link goes first
    links.sort(key=lambda link: link.url != reply.primary_url)
    for i, link in enumerate(links):
        style = "primary" if reply.primary_url and link.url == reply.primary_url else ""
        buttons.append(_button(link.title, ids.numbered(ids.ACTION_LINK, i), url=link.url, style=style))
    return buttons


def reply_message(
    reply: Reply,
    *,
    ref: str | None = None,
    question: str | None = None,
    share: bool = False,
    shared_by: str | None = None,
    feedback: bool = True,
    max_blocks: int = MAX_BLOCKS,
    person_question: str | None = None,
) -> Message:
    """A reply as a Slack message.

    `ref` is the recorder's reference of the question (carried in the buttons); `question` is what the member
    asked, shown back when Slack does not show it (the slash command); `share` adds "Share in channel";
    `shared_by` is the Slack user id of a member who shared it; `feedback=False` leaves out 👍/👎;
    `person_question` (when a help channel is set) adds "Ask a person" to replies the bot could not answer.
    """
    top: list[Block] = [_header(reply.title)]
    if shared_by:
        top.append(_context([f"Shared by <@{escape(shared_by)}>"], ids.BLOCK_SHARED_BY))
    asked = echo(question) if question else ""
    if asked:
        top.append(
            {
                "type": "context",
                "block_id": ids.BLOCK_ASKED,
                "elements": [
                    {"type": "plain_text", "text": clip(f"You asked: {asked}", MAX_SECTION_TEXT), "emoji": False}
                ],
            }
        )
    top += _notice_blocks(reply.notices)
    if reply.stale is not None:
        top += [_section(":hourglass: " + p, f"stale_{i}") for i, p in enumerate(split_text(mrkdwn(reply.stale)))]

    bottom: list[Block] = []
    if reply.outcome == CLARIFY:
        buttons = _suggestion_buttons(reply.candidates, ids.ACTION_CHOOSE, ref)
        buttons.append(_button("None of these", ids.ACTION_NONE, value=ids.pack(ref=ref)))
        bottom += _actions(buttons, ids.BLOCK_CANDIDATES)
    bottom += _nation_blocks(reply, ref)
    link_buttons = _link_buttons(reply)
    if link_buttons:
        bottom += _actions(link_buttons, ids.BLOCK_LINKS)
    source = _source_line(reply)
    if source:
        bottom.append(_context([source], ids.BLOCK_SOURCE))
    if reply.topics:
        if reply.outcome == HELP:
            bottom += [
                _section(p, f"{ids.BLOCK_TOPICS}_list_{i}")
                for i, p in enumerate(split_text(_shortcut_lines(reply.topics)))
            ]
        else:
            bottom.append(_context(["Topics I know:"], f"{ids.BLOCK_TOPICS}_label"))
        bottom += _actions(_topic_buttons(reply.topics, ref), ids.BLOCK_TOPICS)
    if reply.related:
        bottom.append(_context(["You might also ask:"], f"{ids.BLOCK_RELATED}_label"))
        bottom += _actions(_suggestion_buttons(reply.related, ids.ACTION_ASK, ref), ids.BLOCK_RELATED)
    tail: list[Block] = []
    if feedback and reply.feedback_allowed:
        value = ids.pack(entry=reply.entry_id, ref=ref)
        buttons = [
            _button("👍 Helpful", ids.ACTION_FEEDBACK_UP, value=value),
            _button("👎 Not helpful", ids.ACTION_FEEDBACK_DOWN, value=value),
        ]
        buttons.append(
            _button(
                "Not what I asked",
                ids.ACTION_NOT_WHAT_I_ASKED,
                value=ids.pack(entry=reply.entry_id, ref=ref, others=reply.alternatives),
            )
        )
        if share:
            buttons.append(_button("Share in channel", ids.ACTION_SHARE, value=value))
        if reply.reviewed is not None:  # a career answer (kind answer or bot): the planner is one click away
            buttons.append(_button(PLAN_START_LABEL, ids.ACTION_PLAN_START, value="{}"))
        tail += _actions(buttons, ids.BLOCK_FEEDBACK)
    elif share and reply.outcome == ANSWER and reply.entry_id:
        tail += _actions(
            [_button("Share in channel", ids.ACTION_SHARE, value=ids.pack(entry=reply.entry_id, ref=ref))],
            ids.BLOCK_FEEDBACK,
        )

    if person_question and person_question.strip() and reply.offer_person:
        tail += _actions(
            [
                _button(
                    wording.ASK_PERSON_LABEL, ids.ACTION_ASK_PERSON, value=ids.pack(ref=ref, question=person_question)
                )
            ],
            ids.BLOCK_PERSON,
        )
    budget = max_blocks - len(top) - len(tail)
    body = _body_blocks(reply.body, max(budget - len(bottom), 1))
    blocks = (top + body + bottom)[: max_blocks - len(tail)] + tail
    lead = f"Shared by <@{escape(shared_by)}>" if shared_by else ""
    text = fallback_text(reply.title, reply.body, reply.notices)
    if lead:
        text = lead + "\n\n" + text
    return {"text": text, "blocks": blocks}


def _nation_blocks(reply: Reply, ref: str | None) -> list[Block]:
    """Which nation the answer holds for; when it was assumed, the other nations as buttons."""
    if reply.nation is None:
        return []
    label = LABELS[reply.nation]
    if not (reply.nation_assumed and reply.other_nations):
        note = f"This answer is for *{escape(label)}*. Type `{ids.COMMAND} nation` to change your nation."
        return [_context([note], ids.BLOCK_NATION)]
    buttons = [
        _button(
            LABELS[n],
            ids.numbered(ids.ACTION_NATION, i),
            value=ids.pack(entry=reply.entry_id, ref=ref, nation=n),
        )
        for i, n in enumerate(reply.other_nations)
    ]
    note = f"This answer is for *{escape(label)}*. The rules differ in the other UK nations:"
    return [_context([note], f"{ids.BLOCK_NATION}_label"), *_actions(buttons, ids.BLOCK_NATION)]


def ask_person_message(question: str, ref: str | None) -> Message:
    """What would be posted in the help channel, and the member's choices: anonymously, with their name, or not."""
    text = wording.ASK_PERSON_CONFIRM.format(question=escape(question))
    buttons = [
        _button(
            wording.ASK_PERSON_SEND_ANONYMOUSLY,
            ids.numbered(ids.ACTION_SEND_TO_PERSON, 0),
            value=ids.pack(ref=ref, question=question),
            style="primary",
        ),
        _button(
            wording.ASK_PERSON_SEND_NAMED,
            ids.numbered(ids.ACTION_SEND_TO_PERSON, 1),
            value=ids.pack(ref=ref, question=question, named=True),
        ),
    ]
    return {"text": text, "blocks": [_section(text, ids.BLOCK_ANSWER), *_actions(buttons, ids.BLOCK_PERSON)]}


def escalation_message(question: str, asked_by: str | None) -> Message:
    """The question as posted in the help channel."""
    lead = (
        wording.ASK_PERSON_POSTED_NAMED.format(user=f"<@{escape(asked_by)}>") if asked_by else wording.ASK_PERSON_POSTED
    )
    text = f"{lead}\n>{escape(question)}\n\n{wording.ASK_PERSON_HOW_TO_REPLY}"
    return {"text": text, "blocks": [_section(text, ids.BLOCK_ANSWER)]}


def relayed_reply_message(reply_text: str) -> Message:
    """A person's reply from the help channel, passed back to the member."""
    text = f"{wording.ASK_PERSON_REPLY}\n\n{escape(reply_text[:2500])}"
    return {"text": text, "blocks": [_section(text, ids.BLOCK_ANSWER)]}


def topic_message(topic: TopicSummary, notices: Sequence[Document] = (), *, ref: str | None = None) -> Message:
    """The questions of one topic area as buttons (what a topic button opens)."""
    blocks: list[Block] = [_header(topic.title)]
    blocks += _notice_blocks(notices)
    blocks.append(_section("Pick a question, or ask me in your own words.", ids.BLOCK_ANSWER))
    blocks += _actions(_suggestion_buttons(topic.suggestions, ids.ACTION_CHOOSE, ref), ids.BLOCK_TOPIC_QUESTIONS)
    if topic.shortcuts:
        blocks.append(
            _context(["Shortcuts: " + ", ".join(f"`{escape(s)}`" for s in topic.shortcuts)], ids.BLOCK_SOURCE)
        )
    listing = "\n".join(f"- {s.label}" for s in topic.suggestions)
    return {"text": fallback_text(topic.title, listing, notices), "blocks": blocks[:MAX_BLOCKS]}


def notice_message(text: str) -> Message:
    """A short message of our own words (apologies, refusals, thanks): a section and the same text."""
    return {"text": text, "blocks": [_section(text, ids.BLOCK_ANSWER)]}


def thanks_message(helpful: bool) -> Message:
    return notice_message(THANKS_UP if helpful else THANKS_DOWN)


def report_message(report: str) -> Message:
    """The curators' report (plain text) as preformatted sections."""
    # a member's triple backticks must not close the code block: backticks are shown as a look-alike
    safe = escape(report.strip()).replace("`", "\u02cb") or "Nothing to report yet."
    pieces = split_text(safe, MAX_SECTION_TEXT - 8)
    blocks = [_header("physio-career report")]
    blocks += [_section(f"```{p}```", f"{ids.BLOCK_ANSWER}_{i}") for i, p in enumerate(pieces[: MAX_BLOCKS - 1])]
    return {"text": _clip_escaped(safe, MAX_FALLBACK_TEXT), "blocks": blocks}


# --- App Home -----------------------------------------------------------------------------------------------
def home_view(
    topics: Sequence[TopicSummary],
    notices: Sequence[Document] = (),
    *,
    topic: TopicSummary | None = None,
    reply: Reply | None = None,
    ref: str | None = None,
    thanks: bool | None = None,
    nation: str | None = None,
) -> dict[str, Any]:
    """The App Home tab: what the bot does, how to ask, current notices, a button per topic area; below them
    the questions of the topic picked (`topic`) or the answer picked (`reply`), since a click on Home answers
    on Home. `thanks` (True/False) replaces the feedback buttons after a 👍/👎."""
    blocks: list[Block] = [
        _header("Physio career questions"),
        _section(escape(ABOUT), ids.BLOCK_HOME_INTRO),
        _section(HOW_TO_ASK, ids.BLOCK_HOME_HOW),
    ]
    blocks += _notice_blocks(notices)
    blocks.append({"type": "divider"})
    blocks += _home_nation(nation)
    blocks.append(_section(f"*{PLAN_START_LABEL}*: {escape(PLAN_INTRO)}", f"{ids.BLOCK_PLAN}_home"))
    start = _button(PLAN_START_LABEL, ids.numbered(ids.ACTION_PLAN_START, 0), value="{}", style="primary")
    blocks += _actions([start], f"{ids.BLOCK_PLAN}_home_start")
    blocks.append(_section("*Topics*: pick one to see its questions.", f"{ids.BLOCK_TOPICS}_label"))
    blocks += _actions(_topic_buttons(topics, None), ids.BLOCK_TOPICS)
    if topic is not None:
        blocks.append({"type": "divider"})
        blocks += _embedded(topic_message(topic, (), ref=ref)["blocks"])
    if reply is not None:
        blocks.append({"type": "divider"})
        shown = reply_message(
            _without_notices(reply), ref=ref, feedback=thanks is None, max_blocks=MAX_HOME_BLOCKS - len(blocks) - 1
        )["blocks"]
        blocks += _embedded(shown)
        if thanks is not None:
            blocks.append(_context([escape(THANKS_UP if thanks else THANKS_DOWN)], ids.BLOCK_THANKS))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _home_nation(nation: str | None) -> list[Block]:
    """Home offers the member's nation as a choice: pay, apprenticeships and funding differ between them."""
    if nation in LABELS:
        text = f"*Your nation*: {escape(LABELS[nation])}. Answers that differ by nation are given for it."
    else:
        text = "*Your nation*: not set. Pick one and answers that differ by nation are given for it."
    buttons = [
        _button(
            LABELS[n],
            ids.numbered(ids.ACTION_SET_NATION, i),
            value=ids.pack(nation=n),
            style="primary" if n == nation else "",
        )
        for i, n in enumerate(NATIONS)
    ]
    if nation in LABELS:
        buttons.append(_button("Forget it", ids.numbered(ids.ACTION_SET_NATION, len(buttons)), value="{}"))
    return [_section(text, f"{ids.BLOCK_NATION}_home"), *_actions(buttons, f"{ids.BLOCK_NATION}_home_choices")]


def _embedded(blocks: list[Block]) -> list[Block]:
    """Blocks of a message shown inside the Home view: the title as bold text, block ids kept unique."""
    out = []
    for block in blocks:
        if block.get("type") == "header":
            block = _section(f"*{escape(block['text']['text'])}*", ids.BLOCK_TITLE)
        if "block_id" in block:
            block = {**block, "block_id": "picked_" + block["block_id"]}
        out.append(block)
    return out


def _without_notices(reply: Reply) -> Reply:
    """Home shows the notices once, at the top."""
    return replace(reply, notices=())
