"""Teams rendering: the neutral `Reply` as an Adaptive Card (version 1.5, the highest Teams renders).

Pure functions (no SDK, no I/O), next to the Slack renderer: each returns plain dicts. The rules Teams imposes:

- no `text` beside the card (Teams would show it as a second message): the plain-text version goes in the
  card's `fallbackText`, and a short `summary` on the activity for notifications;
- button titles do not wrap and long ones are cut, so a group of labels longer than `MAX_BUTTON_TITLE` (the
  "did you mean" questions, related questions, long topic names) becomes tappable rows, and links a list;
- every action's data is `{"verb": ..., "v": pack(...)}`, checked by `unpack` when it comes back;
- 👍/👎 are `Action.Execute`, so the card is refreshed in place with a thank-you (`reply_card(thanks=...)`);
- members' own words are never put in Markdown: the only one shown, the curators' report, is in `TextRun`s,
  which Teams shows as typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from bot import wording
from bot.brain.markdown import Document, Span, rendered_blocks, to_plain
from bot.brain.nations import LABELS
from bot.brain.reply import CLARIFY, HELP, Reply, Suggestion, TopicSummary
from bot.conversation import pack
from bot.conversation.planner import INTRO as PLAN_INTRO
from bot.conversation.planner import START_LABEL as PLAN_START_LABEL
from bot.conversation.planner import Choice, Plan, PlanNotice, PlanQuestion, PlanStep, Turn
from bot.teams import ids

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BUTTON_TITLE = 30  # longer labels are cut in Teams: the group becomes rows
MAX_ACTIONS_PER_SET = 5  # Teams moves the rest of a long ActionSet into an overflow menu
MAX_CARD_BYTES = 28_000  # Teams takes about 28-100 KB per message; answers are 1-5 KB
MAX_FALLBACK_TEXT = 3000
MAX_SUMMARY = 150
MAX_TEXT_BLOCK = 4000
MAX_LINKS = 5
MAX_SOURCES = 3
MAX_ROWS = 12
MAX_REPORT_CHARS = 20_000
REPORT_LINES = 40  # lines of the report in one TextRun
PRIMARY_LINK_TITLE = "Open the toolkit"  # the primary link is the CSP toolkit's (bot.brain.reply.TOOLKIT_ID)
TOO_LONG = "This answer is too long to show here in full; see the links."

WELCOME_TITLE = "Physio career questions"
ABOUT = wording.ABOUT
HOW_TO_ASK = (
    "- Chat with me here, in your own words. Only you see a personal chat.\n"
    "- In a channel or group chat, mention **@physio-career** with your question: I answer in the thread, and "
    "everyone there can see the answer.\n"
    "- Type a shortcut such as **band5**, or **help** to see this again.\n"
    "- Type **nation scotland** (or england, wales, northern-ireland) and I answer for your nation where the "
    "rules differ."
)
NATION_SAVED_LINE = "This answer is for **{nation}**. Type **nation** and a name to change your nation."
REPORT_TITLE = "physio-career report"
REPORT_PERSONAL_ONLY = (
    "The curators' report is shown only in a personal chat with me, because everyone in a channel or group chat "
    "would see it. Open a chat with me and type **report**."
)
ANSWERED_BELOW = "Answered below."
NOT_WHAT_I_ASKED_LABEL = "Not what I asked"
PLAN_STOP_LABEL = "Stop"
# Teams delivers a channel message to the bot only when it mentions the bot
ASK_PERSON_HOW_TO_REPLY = "Reply in this thread and **mention @physio-career** in your reply: I'll pass it on to them."
MAX_RELAYED = 2500
PLAN_START_VALUE = "{}"  # the planner's codec for "no answers yet"

Card = dict[str, Any]
Element = dict[str, Any]


# --- text -----------------------------------------------------------------------------------------------
def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _url(url: str) -> str:
    """A URL safe inside Markdown's `(...)`: no spaces or brackets left raw."""
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]")


def _span(span: Span) -> str:
    text = span.text
    if span.url:
        label = " ".join(text.replace("[", "(").replace("]", ")").split()) or span.url
        text = f"[{label}]({_url(span.url)})"
    if span.bold and text.strip():
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        text = f"{lead}**{text.strip()}**{trail}"
    return text


def markdown_lines(doc: Document) -> list[str]:
    """A knowledge-base document as Teams Markdown, one string per block (a paragraph, or a list of `- ` lines)."""
    out = []
    for bulleted, lines in rendered_blocks(doc, _span):
        out.append("\n".join("- " + line for line in lines) if bulleted else lines[0])
    return out


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or url).lower()
    return host[4:] if host.startswith("www.") else host


def plain_text(reply: Reply) -> str:
    """The reply as plain text, for `fallbackText`: what hosts that cannot show the card show instead."""
    parts = [reply.title, to_plain(reply.body)]
    if reply.stale is not None:
        parts.append(to_plain(reply.stale))
    if reply.outcome == CLARIFY and reply.candidates:
        parts.append("\n".join(f"- {c.label}" for c in reply.candidates))
    if reply.links:
        parts.append("\n".join(f"- {link.title}: {link.url}" for link in reply.links[:MAX_LINKS]))
    parts += ["Notice: " + to_plain(n) for n in reply.notices]
    return _cap("\n\n".join(p for p in parts if p), MAX_FALLBACK_TEXT)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- elements -------------------------------------------------------------------------------------------
def _text(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": _cap(text, MAX_TEXT_BLOCK) or " ", "wrap": True, **style}


def _title(text: str) -> Element:
    return _text(clip(text, 200), size="Medium", weight="Bolder", style="heading")


def _data(verb: str, value: str) -> dict[str, str]:
    return {ids.VERB_KEY: verb, ids.VALUE_KEY: value}


def _submit(title: str, verb: str, value: str) -> Element:
    return {"type": "Action.Submit", "title": clip(title, MAX_BUTTON_TITLE), "data": _data(verb, value)}


def _execute(title: str, verb: str, value: str) -> Element:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": {ids.VALUE_KEY: value}}


def _open_url(title: str, url: str, *, primary: bool = False) -> Element:
    action: Element = {"type": "Action.OpenUrl", "title": clip(title, MAX_BUTTON_TITLE), "url": url}
    if primary:
        action["style"] = "positive"
    return action


def _action_sets(actions: Sequence[Element]) -> list[Element]:
    return [
        {"type": "ActionSet", "actions": list(actions[i : i + MAX_ACTIONS_PER_SET])}
        for i in range(0, len(actions), MAX_ACTIONS_PER_SET)
    ]


def _row(label: str, verb: str, value: str) -> Element:
    """A tappable row: a long label that wraps, where a button would cut it."""
    return {
        "type": "Container",
        "spacing": "Small",
        "selectAction": {"type": "Action.Submit", "title": clip(label, MAX_BUTTON_TITLE), "data": _data(verb, value)},
        "items": [_text("› " + label, color="Accent")],
    }


def _choices(labelled: Sequence[tuple[str, str, str]]) -> list[Element]:
    """(label, verb, value) as buttons when every label fits a button, else as rows."""
    if all(len(label) <= MAX_BUTTON_TITLE for label, _, _ in labelled):
        return _action_sets([_submit(label, verb, value) for label, verb, value in labelled])
    return [_row(label, verb, value) for label, verb, value in labelled[:MAX_ROWS]]


def _suggestions(suggestions: Sequence[Suggestion], verb: str, ref: str | None) -> list[Element]:
    return _choices([(s.label, verb, pack(entry=s.entry_id, ref=ref)) for s in suggestions])


def _topics(topics: Sequence[TopicSummary], ref: str | None) -> list[Element]:
    return _choices([(t.title, ids.VERB_TOPIC, pack(topic=t.title, ref=ref)) for t in topics])


def _notices(notices: Sequence[Document]) -> list[Element]:
    if not notices:
        return []
    items = [_text("⚠️ " + "\n\n".join(markdown_lines(n))) for n in notices]
    return [{"type": "Container", "style": "warning", "items": items}]


def _body(doc: Document) -> list[Element]:
    return [_text(block) for block in markdown_lines(doc)]


def _label(text: str) -> Element:
    return _text(text, weight="Bolder", spacing="Medium")


def _source_line(reply: Reply) -> str:
    parts = []
    if reply.source:
        shown = [
            f"[{_host(s)}]({_url(s)})" if s.startswith(("https://", "http://")) else s
            for s in reply.source[:MAX_SOURCES]
        ]
        more = len(reply.source) - MAX_SOURCES
        parts.append("Source: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    if reply.reviewed:
        parts.append(f"Reviewed {reply.reviewed.day} {reply.reviewed:%B %Y}")
    return " · ".join(parts)


def _links(reply: Reply) -> list[Element]:
    """The primary (toolkit) link as a green button with a short title; every other link in a list."""
    links = list(reply.links[:MAX_LINKS])
    out: list[Element] = []
    primary = next((link for link in links if reply.primary_url and link.url == reply.primary_url), None)
    if primary is not None:
        title = primary.title if len(primary.title) <= MAX_BUTTON_TITLE else PRIMARY_LINK_TITLE
        out += _action_sets([_open_url(title, primary.url, primary=True)])
    others = [link for link in links if primary is None or link.url != primary.url]
    if others:
        lines = "\n".join(f"- [{clip(link.title, 200).replace(']', ')')}]({_url(link.url)})" for link in others)
        out.append(_text(lines, spacing="Medium"))
    return out


def _nation(reply: Reply, ref: str | None) -> list[Element]:
    """Which nation the answer holds for; when it was assumed, the other nations as buttons."""
    if reply.nation is None:
        return []
    label = LABELS[reply.nation]
    if not (reply.nation_assumed and reply.other_nations):
        return [_text(NATION_SAVED_LINE.format(nation=label), isSubtle=True, spacing="Medium")]
    buttons = [
        _submit(LABELS[n], ids.VERB_NATION, pack(entry=reply.entry_id, ref=ref, nation=n)) for n in reply.other_nations
    ]
    return [_text(wording.NATION_ASSUMED.format(nation=label), spacing="Medium"), *_action_sets(buttons)]


def _feedback(reply: Reply, ref: str | None, thanks: bool | None) -> list[Element]:
    if not reply.feedback_allowed:
        return []
    if thanks is not None:
        return [_text("✅ " + (wording.THANKS_UP if thanks else wording.THANKS_DOWN), spacing="Medium")]
    value = pack(entry=reply.entry_id, ref=ref, nation=reply.nation)
    flag = pack(entry=reply.entry_id, ref=ref, others=reply.alternatives)
    buttons = [
        _execute("👍 Helpful", ids.VERB_HELPFUL, value),
        _execute("👎 Not helpful", ids.VERB_NOT_HELPFUL, value),
        _submit(NOT_WHAT_I_ASKED_LABEL, ids.VERB_NOT_WHAT_I_ASKED, flag),
    ]
    if reply.reviewed is not None:  # a career answer (kind answer or bot): the planner is one click away
        buttons.append(_submit(PLAN_START_LABEL, ids.VERB_PLAN_START, PLAN_START_VALUE))
    return _action_sets(buttons)


def _shortcut_lines(topics: Sequence[TopicSummary]) -> str:
    lines = []
    for t in topics:
        shortcuts = ", ".join(f"**{s}**" for s in t.shortcuts)
        lines.append(f"- {t.title}" + (f": {shortcuts}" if shortcuts else ""))
    return "\n".join(lines)


# --- cards ----------------------------------------------------------------------------------------------
def card(body: list[Element], fallback: str) -> Card:
    """An Adaptive Card 1.5, full width in Teams, with its plain-text fallback; held under `MAX_CARD_BYTES`."""
    shown = [element for element in body if element]
    built = _card(shown, fallback)
    if _size(built) <= MAX_CARD_BYTES:
        return built
    # too big (never for today's answers): drop body text from the end, saying so, until it fits
    head, tail = shown[:1], shown[1:]
    while tail and _size(_card([*head, *tail, _text(TOO_LONG, isSubtle=True)], fallback)) > MAX_CARD_BYTES:
        tail.pop()
    return _card([*head, *tail, _text(TOO_LONG, isSubtle=True)], fallback)


def _card(body: list[Element], fallback: str) -> Card:
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "fallbackText": _cap(fallback, MAX_FALLBACK_TEXT),
        "msteams": {"width": "Full"},  # a Teams host extension; other hosts ignore it
        "body": body,
    }


def _size(built: Card) -> int:
    return len(json.dumps(built, ensure_ascii=False).encode("utf-8"))


def reply_card(
    reply: Reply, *, ref: str | None = None, thanks: bool | None = None, person_question: str | None = None
) -> Card:
    """A reply as a card. `ref` is the curators' log reference (carried by the actions); `thanks` (True for 👍,
    False for 👎) replaces the feedback buttons with a thank-you; `person_question` (when a help channel is set)
    adds "Ask a person" to replies the bot could not answer."""
    body: list[Element] = [_title(reply.title), *_notices(reply.notices)]
    if reply.stale is not None:
        body += [_text("⏳ " + line, color="Warning") for line in markdown_lines(reply.stale)]
    body += _body(reply.body)
    if reply.outcome == CLARIFY:
        body += _suggestions(reply.candidates, ids.VERB_CHOOSE, ref)
        body += _action_sets([_submit("None of these", ids.VERB_NONE, pack(ref=ref))])
    body += _nation(reply, ref)
    body += _links(reply)
    source = _source_line(reply)
    if source:
        body.append(_text(source, size="Small", isSubtle=True, spacing="Medium"))
    if reply.topics:
        if reply.outcome == HELP:
            body += [_label("Topics and shortcuts"), _text(_shortcut_lines(reply.topics))]
        else:
            body.append(_label("Topics I know:"))
        body += _topics(reply.topics, ref)
    if reply.related:
        body.append(_label("You might also ask:"))
        body += _suggestions(reply.related, ids.VERB_ASK, ref)
    body += _feedback(reply, ref, thanks)
    if person_question and person_question.strip() and reply.offer_person:
        body += _action_sets(
            [_submit(wording.ASK_PERSON_LABEL, ids.VERB_ASK_PERSON, pack(ref=ref, question=person_question))]
        )
    return card(body, plain_text(reply))


def welcome_card(help_reply: Reply) -> Card:
    """What the bot sends when it is added, and for `help` or an empty message: what it does, how to ask, the
    notices in force and the topics (from the core's help reply)."""
    body: list[Element] = [
        _title(WELCOME_TITLE),
        _text(ABOUT),
        *_notices(help_reply.notices),
        _label("How to ask"),
        _text(HOW_TO_ASK),
        *_body(help_reply.body),
    ]
    if help_reply.topics:
        body += [_label("Topics and shortcuts"), _text(_shortcut_lines(help_reply.topics))]
        body += _topics(help_reply.topics, None)
    fallback = "\n\n".join(
        [WELCOME_TITLE, ABOUT, to_plain(help_reply.body), *("Notice: " + to_plain(n) for n in help_reply.notices)]
    )
    return card(body, fallback)


def topic_card(topic: TopicSummary, notices: Sequence[Document] = (), *, ref: str | None = None) -> Card:
    """The questions of one topic area, as rows (what a topic button opens)."""
    body: list[Element] = [
        _title(topic.title),
        *_notices(notices),
        _text("Pick a question, or ask me in your own words."),
    ]
    body += _suggestions(topic.suggestions, ids.VERB_CHOOSE, ref)
    if topic.shortcuts:
        body.append(_text("Shortcuts: " + ", ".join(f"**{s}**" for s in topic.shortcuts), isSubtle=True))
    fallback = topic.title + "\n\n" + "\n".join(f"- {s.label}" for s in topic.suggestions)
    return card(body, fallback)


# --- the career planner ---------------------------------------------------------------------------------
def _plan_choices(choices: Sequence[Choice]) -> list[tuple[str, str, str]]:
    return [(c.label, ids.VERB_PLAN_ANSWER, c.value) for c in choices]


def _inline(doc: Document) -> str:
    """A short document on one line (its paragraphs joined), as Markdown."""
    return " ".join(markdown_lines(doc))


def plan_question_card(turn: PlanQuestion) -> Card:
    """One planner question: an action per answer, then "Change ..." for the answers given so far, and Stop."""
    progress = f"Question {turn.number} of {turn.total}"
    if turn.summary:
        progress += " · So far: " + ", ".join(turn.summary)
    body: list[Element] = [_title(PLAN_START_LABEL)]
    if turn.question.key == "band" and turn.answers.goal is None:  # the start (a saved nation may be filled in)
        body.append(_text(PLAN_INTRO))
    body.append(_text(progress, isSubtle=True, size="Small"))
    body.append(_text(turn.question.prompt, weight="Bolder", spacing="Medium"))
    body += _choices(_plan_choices(turn.options))
    controls = [_submit(c.label, ids.VERB_PLAN_ANSWER, c.value) for c in turn.changes]
    controls.append(_submit(PLAN_STOP_LABEL, ids.VERB_PLAN_STOP, PLAN_START_VALUE))
    body += [{**s, "spacing": "Medium"} for s in _action_sets(controls)]
    listing = "\n".join(f"- {c.label}" for c in turn.options)
    return card(body, f"{PLAN_START_LABEL}: {turn.question.prompt}\n\n{progress}\n\n{listing}")


def _plan_step(step: PlanStep) -> Element:
    items: list[Element] = [_text(f"{step.number}. {step.title}", weight="Bolder"), *_body(step.why)]
    facts: list[tuple[str, Document]] = [("How long", step.how_long)]
    if step.cost_or_pay is not None:
        facts.append(("Cost or pay", step.cost_or_pay))
    facts.append((LABELS[step.nation], step.nation_note))
    if step.honest_limit is not None:
        facts.append(("Depends on where you work", step.honest_limit))
    lines = [f"- **{name}:** {_inline(doc)}" for name, doc in facts if doc.blocks]
    if lines:
        items.append(_text("\n".join(lines)))
    if step.stale:
        items.append(_text("⏳ The figures in this step are due for review: check the official page.", color="Warning"))
    links = "\n".join(f"- [{clip(link.title, 200).replace(']', ')')}]({_url(link.url)})" for link in step.links)
    items.append(_text(links))
    return {"type": "Container", "spacing": "Large", "separator": True, "items": items}


def plan_card(plan: Plan) -> Card:
    """The plan: who it is for, its steps (why, how long, cost or pay, the nation's note, the honest limit, the
    official links), the footer, and "Change ..." to redo an answer."""
    body: list[Element] = [_title(plan.title)]
    if plan.summary:
        body.append(_text("For: " + ", ".join(plan.summary), isSubtle=True, size="Small"))
    if plan.assumed_note is not None:
        body.append(_text(_inline(plan.assumed_note)))
    body += [_plan_step(step) for step in plan.steps]
    body.append(_text(_inline(plan.footer), isSubtle=True, size="Small", spacing="Large"))
    changes = [_submit(c.label, ids.VERB_PLAN_ANSWER, c.value) for c in plan.changes]
    body += _action_sets(changes)
    listing = "\n".join(f"{s.number}. {s.title}: {s.link.url}" for s in plan.steps)
    return card(body, f"{plan.title}\n\n{listing}\n\n{to_plain(plan.footer)}")


def plan_notice_card(notice: PlanNotice) -> Card:
    body = [_title(notice.title), *_body(notice.body)]
    return card(body, f"{notice.title}\n\n{to_plain(notice.body)}")


def plan_turn_card(turn: Turn) -> Card:
    """Whatever the planner said, as a card."""
    if isinstance(turn, PlanQuestion):
        return plan_question_card(turn)
    if isinstance(turn, Plan):
        return plan_card(turn)
    return plan_notice_card(turn)


def notice_card(text: str) -> Card:
    """A short message in our own words (apologies, refusals, thanks): one text block, Markdown allowed."""
    return card([_text(text)], text.replace("**", ""))


def _as_typed(text: str, **style: Any) -> Element:
    """A member's or a helper's own words, shown as typed: a `TextRun` is never read as Markdown, so nothing in
    it can become a link, a heading or a mention."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def ask_person_card(question: str, ref: str | None) -> Card:
    """What would be posted in the help channel, and the member's choices: without their name, or with it."""
    buttons = [
        {
            **_submit(wording.ASK_PERSON_SEND_ANONYMOUSLY, ids.VERB_SEND_TO_PERSON, pack(ref=ref, question=question)),
            "style": "positive",
        },
        _submit(wording.ASK_PERSON_SEND_NAMED, ids.VERB_SEND_TO_PERSON, pack(ref=ref, question=question, named=True)),
    ]
    body = [_text(wording.ASK_PERSON_CONFIRM_LEAD), _as_typed(question, italic=True), *_action_sets(buttons)]
    return card(body, wording.ASK_PERSON_CONFIRM.format(question=question))


def escalation_card(question: str, asked_by: str | None) -> Card:
    """The question as posted in the help channel: anonymously, or with the name the member's Teams shows."""
    lead = wording.ASK_PERSON_POSTED_NAMED.format(user=asked_by) if asked_by else wording.ASK_PERSON_POSTED
    body = [_as_typed(lead, weight="Bolder"), _as_typed(question, italic=True), _text(ASK_PERSON_HOW_TO_REPLY)]
    return card(body, f"{lead}\n{question}\n\n{ASK_PERSON_HOW_TO_REPLY.replace('**', '')}")


def relayed_reply_card(reply_text: str) -> Card:
    """A person's reply from the help channel, passed back to the member."""
    text = _cap(reply_text.strip(), MAX_RELAYED)
    return card([_text(wording.ASK_PERSON_REPLY), _as_typed(text)], f"{wording.ASK_PERSON_REPLY}\n\n{text}")


def report_card(report: str) -> Card:
    """The curators' report (plain text, with members' redacted questions in it) shown exactly as written:
    in `TextRun`s, which Teams never reads as Markdown."""
    text = _cap(report.strip(), MAX_REPORT_CHARS) or "Nothing to report yet."
    lines = text.split("\n")
    blocks = [
        {
            "type": "RichTextBlock",
            "inlines": [{"type": "TextRun", "text": "\n".join(lines[i : i + REPORT_LINES]), "fontType": "Monospace"}],
        }
        for i in range(0, len(lines), REPORT_LINES)
    ]
    return card([_title(REPORT_TITLE), *blocks], text)


# --- what goes on the wire ------------------------------------------------------------------------------
def message(built: Card, summary: str = "") -> dict[str, Any]:
    """The fields of the message activity that carries `built`: the card as its only attachment, no `text`."""
    first_line = summary or str((built.get("fallbackText") or "").split("\n", 1)[0])
    return {
        "attachments": [{"contentType": ids.CARD_CONTENT_TYPE, "content": built}],
        "summary": clip(first_line, MAX_SUMMARY),
    }


def invoke_card(built: Card) -> dict[str, Any]:
    """An `adaptiveCard/action` response that replaces the clicked card (for the member who clicked)."""
    return {"statusCode": 200, "type": ids.CARD_CONTENT_TYPE, "value": built}


def invoke_message(text: str) -> dict[str, Any]:
    """An `adaptiveCard/action` response that shows a short message on the card instead."""
    return {"statusCode": 200, "type": ids.MESSAGE_CONTENT_TYPE, "value": text}
