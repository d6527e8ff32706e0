"""Slack rendering of the career pathway planner: its questions, the plan, and the plan inside the Home tab.

Pure functions over the planner's turns (`bot.conversation.planner`), like `bot.slack.blocks` over a Reply: plain
dicts ready for `ack()`, `respond()`, `chat.postMessage` or `views.publish`, every one with a plain `text`
fallback, everything escaped, and within Slack's limits (50 blocks in a message, 100 in a Home view, 3,000
characters in a section, 75 in a button).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.brain.markdown import Document
from bot.brain.nations import LABELS
from bot.conversation.planner import INTRO, START_LABEL, Choice, Plan, PlanNotice, PlanQuestion, PlanStep, Turn
from bot.slack import ids
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_HOME_BLOCKS,
    MAX_SECTION_TEXT,
    Block,
    Message,
    _actions,
    _button,
    _context,
    _plain,
    _section,
    escape,
    fallback_text,
    mrkdwn,
    split_text,
)

KEEP_LABEL = "Send me a copy"
SHARE_LABEL = "Share in channel"
STOP_LABEL = "Stop"
KEPT = "I've sent this plan to your direct messages with me, so you can find it again."
KEPT_HERE = "Here is your plan to keep. Nothing you chose is stored."


def _id(what: str) -> str:
    return f"{ids.BLOCK_PLAN}_{what}"


def _title(text: str) -> Block:
    return {"type": "header", "block_id": _id("title"), "text": _plain(text, 150)}


def _inline(doc: Document) -> str:
    """A short document on one line (its paragraphs joined), as mrkdwn."""
    return " ".join(mrkdwn(doc).split("\n\n"))


def _choice_buttons(choices: Sequence[Choice], start: int = 0) -> list[Block]:
    return [
        _button(c.label, ids.numbered(ids.ACTION_PLAN_ANSWER, start + i), value=c.value) for i, c in enumerate(choices)
    ]


def question_message(turn: PlanQuestion) -> Message:
    """One question: its answers as buttons, then "Change ..." for the answers given so far, and Stop."""
    progress = f"Question {turn.number} of {turn.total}"
    if turn.summary:
        progress += " · So far: " + escape(", ".join(turn.summary))
    blocks: list[Block] = [_title(START_LABEL)]
    if turn.question.key == "band" and turn.answers.goal is None:  # the start (a saved nation may be filled in)
        blocks.append(_section(escape(INTRO), _id("intro")))
    blocks.append(_context([progress], _id("progress")))
    blocks.append(_section(f"*{escape(turn.question.prompt)}*", _id("question")))
    blocks += _actions(_choice_buttons(turn.options), _id("options"))
    controls = _choice_buttons(turn.changes, len(turn.options))
    controls.append(_button(STOP_LABEL, ids.ACTION_PLAN_STOP))
    blocks += _actions(controls, _id("controls"))
    listing = "\n".join(f"- {c.label}" for c in turn.options)
    text = fallback_text(f"{START_LABEL}: {turn.question.prompt}", listing, lead=progress)
    return {"text": text, "blocks": blocks}


def _step_text(step: PlanStep) -> str:
    lines = [f"*{step.number}. {escape(step.title)}*", mrkdwn(step.why)]
    facts: list[tuple[str, Document]] = [("How long", step.how_long)]
    if step.cost_or_pay is not None:
        facts.append(("Cost or pay", step.cost_or_pay))
    facts.append((LABELS[step.nation], step.nation_note))
    if step.honest_limit is not None:
        facts.append(("Depends on where you work", step.honest_limit))
    lines += [f"• *{escape(name)}:* {_inline(doc)}" for name, doc in facts if doc.blocks]
    if step.stale:
        lines.append(":hourglass: The figures in this step are due for review: check the official page.")
    links = " · ".join(f"<{escape(link.url)}|{escape(link.title).replace('|', '¦')}>" for link in step.links)
    lines.append(f":link: {links}")
    return "\n".join(lines)


def plan_message(
    plan: Plan,
    *,
    share: bool = False,
    keep: bool = True,
    interactive: bool = True,
    shared_by: str | None = None,
    note: str | None = None,
) -> Message:
    """The plan: its steps, then (when `interactive`) "Change ..." buttons, "Send me a copy" (`keep`) and
    "Share in channel" (`share`, on an ephemeral plan). A kept or shared copy has no buttons; `shared_by` is the
    Slack user id of the member who shared it; `note` is a line of our own (such as "sent to your DMs")."""
    top: list[Block] = [_title(plan.title)]
    if shared_by:
        top.append(_context([f"Shared by <@{escape(shared_by)}>"], _id("shared_by")))
    if plan.summary:
        top.append(_context(["For: " + escape(", ".join(plan.summary))], _id("summary")))
    if plan.assumed_note is not None:
        top.append(_context([mrkdwn(plan.assumed_note)], _id("assumed")))
    if note:
        top.append(_context([escape(note)], _id("note")))
    tail: list[Block] = []
    if interactive:
        tail += _actions(_choice_buttons(plan.changes), _id("changes"))
        buttons = [_button(KEEP_LABEL, ids.ACTION_PLAN_KEEP, value=plan.value)] if keep else []
        if share:
            buttons.append(_button(SHARE_LABEL, ids.ACTION_PLAN_SHARE, value=plan.value))
        if buttons:
            tail += _actions(buttons, _id("keep"))
    body: list[Block] = []
    for step in plan.steps:
        for j, piece in enumerate(split_text(_step_text(step), MAX_SECTION_TEXT)):
            body.append(_section(piece, _id(f"step_{step.number}_{j}")))
    body.append(_context([mrkdwn(plan.footer)], _id("footer")))
    blocks = (top + body)[: MAX_BLOCKS - len(tail)] + tail
    listing = "\n".join(f"{s.number}. {s.title}" for s in plan.steps)
    text = fallback_text(plan.title, listing)
    if shared_by:
        text = f"Shared by <@{escape(shared_by)}>\n\n{text}"
    return {"text": text, "blocks": blocks}


def notice_message(notice: PlanNotice) -> Message:
    text = mrkdwn(notice.body)
    return {"text": fallback_text(notice.title, notice.body), "blocks": [_section(text, _id("notice"))]}


def turn_message(turn: Turn, *, share: bool = False, keep: bool = True) -> Message:
    """Whatever the planner said, as a message."""
    if isinstance(turn, PlanQuestion):
        return question_message(turn)
    if isinstance(turn, Plan):
        return plan_message(turn, share=share, keep=keep)
    return notice_message(turn)


def with_plan(view: dict[str, Any], message: Message) -> dict[str, Any]:
    """The Home view with a planner message below it (its title as bold text, since Home has its own)."""
    blocks = list(view.get("blocks") or [])
    blocks.append({"type": "divider"})
    for block in message["blocks"]:
        if block.get("type") == "header":
            block = _section(f"*{escape(block['text']['text'])}*", block["block_id"])
        blocks.append(block)
    return {**view, "blocks": blocks[:MAX_HOME_BLOCKS]}
