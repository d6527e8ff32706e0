"""Slack's side of the wire: v0 request signing, the recorded payloads in `tests/slack/payloads/` and builders on
them (slash commands, DM and mention events, button clicks), and Slack's Block Kit limits as checks.

Standard library only at import time (`Wire.request` imports Bolt when called), so `bench/load.py` uses it too.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.request.async_request import AsyncBoltRequest

    from tests.slack.stand_ins.web_api import Call

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def signed_headers(raw: str, *, secret: str = SIGNING_SECRET, ts: int | None = None, content_type: str) -> dict:
    timestamp = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), f"v0:{timestamp}:{raw}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={mac}"}


@functools.lru_cache(maxsize=64)
def _read(name: str) -> str:
    return (PAYLOADS / name).read_text(encoding="utf-8")


def load_json(name: str) -> dict:
    return json.loads(_read(name))


def load_raw(name: str) -> str:
    """A payload file exactly as it goes on the wire (form files are saved without a trailing newline)."""
    return _read(name).strip()


def load_form(name: str) -> dict[str, str]:
    """A form-encoded payload file (a slash command) as its fields. The files have no trailing newline."""
    return dict(urllib.parse.parse_qsl(_read(name).strip(), keep_blank_values=True))


def rewrite_hooks(obj: Any, hooks_base: str) -> Any:
    """Point response URLs at the stand-in (Bolt's respond() posts to them directly, not via base_url)."""
    text = json.dumps(obj).replace("https://hooks.slack.com/", hooks_base.rstrip("/") + "/hooks/")
    return json.loads(text)


@dataclass
class Wire:
    """A request as Slack would put it on the wire: the exact raw body and its content type."""

    raw: str
    content_type: str

    @classmethod
    def event(cls, envelope: dict) -> Wire:
        return cls(json.dumps(envelope), JSON)

    @classmethod
    def form(cls, fields: dict[str, str]) -> Wire:
        return cls(urllib.parse.urlencode(fields), FORM)

    @classmethod
    def interactive(cls, payload: dict) -> Wire:
        return cls("payload=" + urllib.parse.quote(json.dumps(payload)), FORM)

    def request(
        self, *, secret: str = SIGNING_SECRET, ts: int | None = None, headers: dict[str, str] | None = None
    ) -> AsyncBoltRequest:
        from slack_bolt.request.async_request import AsyncBoltRequest

        return AsyncBoltRequest(body=self.raw, headers=self.headers(secret=secret, ts=ts, headers=headers))

    def headers(
        self, *, secret: str = SIGNING_SECRET, ts: int | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The HTTP headers Slack would send with it: content type and a fresh v0 signature (plus `headers`)."""
        all_headers = signed_headers(self.raw, secret=secret, ts=ts, content_type=self.content_type)
        all_headers.update(headers or {})
        return all_headers


# --- payload builders -------------------------------------------------------------------------------------
def command_fields(text: str, *, user: str = "U0001", channel: str = "C0001", hooks_base: str) -> dict[str, str]:
    fields = load_form("slash_command.txt")
    fields.update(text=text, user_id=user, channel_id=channel)
    return rewrite_hooks(fields, hooks_base)


def dm_event(text: str, *, event_id: str | None = None, **changes: Any) -> dict:
    return _event("message_im.json", text, event_id, changes)


def mention_event(text: str, *, event_id: str | None = None, **changes: Any) -> dict:
    return _event("app_mention.json", text, event_id, changes)


def _event(payload: str, text: str, event_id: str | None, changes: dict[str, Any]) -> dict:
    envelope = load_json(payload)
    envelope["event"]["text"] = text
    envelope["event"]["blocks"] = []
    envelope["event"].update(changes)
    envelope["event_id"] = event_id or f"Ev{abs(hash((text, time.monotonic_ns()))) % 10**10:010d}"
    return envelope


def button_data(value: str) -> dict:
    """What a button carries, as the tests read it (the app checks it with bot.conversation.unpack)."""
    return json.loads(value)


def find_button(blocks: list[dict], action_prefix: str, *, text: str | None = None) -> tuple[dict, dict]:
    """The first button whose action id starts with `action_prefix` (and whose label contains `text`), with
    the actions block it sits in."""
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id", "").split(":")[0] == action_prefix and (
                text is None or text.lower() in element["text"]["text"].lower()
            ):
                return element, block
    raise AssertionError(f"no {action_prefix} button{f' labelled {text!r}' if text else ''} in {blocks}")


def click(
    button: dict,
    block: dict,
    *,
    where: str,
    message: dict | None = None,
    view: dict | None = None,
    user: str = "U0001",
    hooks_base: str,
) -> dict:
    """A block_actions payload for a click on `button`, built on block_actions.json (or its ephemeral/home
    variants). `where` is "message" (a bot message in a DM or channel, `message` = what the bot posted),
    "ephemeral" (an ephemeral answer in C0001) or "home" (the App Home view)."""
    name = {
        "message": "block_actions.json",
        "ephemeral": "block_actions_ephemeral.json",
        "home": "block_actions_home.json",
    }[where]
    payload = load_json(name)
    payload["user"]["id"] = user
    action = {
        "action_id": button["action_id"],
        "block_id": block["block_id"],
        "text": button["text"],
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("value", "url", "style"):
        if key in button:
            action[key] = button[key]
    payload["actions"] = [action]
    if where == "message" and message is not None:
        payload["message"] = {**payload["message"], **copy.deepcopy(message)}
        payload["container"]["channel_id"] = payload["channel"]["id"] = message.get("channel", "D0001")
        payload["container"]["message_ts"] = payload["message"]["ts"]
    if where == "home" and view is not None:
        payload["view"] = {**payload["view"], "blocks": view.get("blocks", [])}
    return rewrite_hooks(payload, hooks_base)


# --- what Slack would reject --------------------------------------------------------------------------------
BLOCK_TYPES = {"section", "header", "context", "actions", "divider"}


def block_problems(blocks: list[dict], *, max_blocks: int = 50) -> list[str]:
    """Everything in `blocks` that breaks Slack's Block Kit limits (Slack answers invalid_blocks for these)."""
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (limit {max_blocks})")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"block {i} ({block.get('type')}, {block.get('block_id')})"
        if block.get("type") not in BLOCK_TYPES:
            problems.append(f"{where}: unknown type")
        bid = block.get("block_id")
        if bid is not None:
            if bid in block_ids or len(bid) > 255:
                problems.append(f"{where}: block_id repeated or too long")
            block_ids.add(bid)
        kind = block.get("type")
        if kind == "section":
            text = block["text"]["text"]
            if not text.strip() or len(text) > 3000:
                problems.append(f"{where}: section text of {len(text)} characters")
        elif kind == "header":
            text = block["text"]
            if text["type"] != "plain_text" or not text["text"].strip() or len(text["text"]) > 150:
                problems.append(f"{where}: bad header text")
        elif kind == "context":
            elements = block["elements"]
            if not 1 <= len(elements) <= 10 or any(len(e["text"]) > 3000 or not e["text"] for e in elements):
                problems.append(f"{where}: bad context elements")
        elif kind == "actions":
            elements = block["elements"]
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: {len(elements)} elements")
            for element in elements:
                text = element["text"]
                aid = element["action_id"]
                if aid in action_ids or len(aid) > 255:
                    problems.append(f"{where}: action_id {aid} repeated or too long")
                action_ids.add(aid)
                if text["type"] != "plain_text" or not text["text"].strip() or len(text["text"]) > 75:
                    problems.append(f"{where}: button text {text['text']!r}")
                if len(element.get("value", "")) > 2000 or len(element.get("url", "")) > 3000:
                    problems.append(f"{where}: button value or url too long")
                if element.get("style") not in (None, "primary", "danger"):
                    problems.append(f"{where}: bad style")
    return problems


def message_problems(message: dict, *, max_blocks: int = 50) -> list[str]:
    """A message's problems: its blocks, and a missing or oversized plain-text fallback."""
    problems = block_problems(message.get("blocks") or [], max_blocks=max_blocks)
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("no plain text fallback")
    elif len(text) > 40000:
        problems.append("text over 40,000 characters")
    return problems


def call_problems(call: Call) -> list[str]:
    """Problems in what the app sent to the stand-in (messages, response URLs, Home views)."""
    if call.path.endswith("views.publish"):
        view = call.view
        return block_problems(view.get("blocks") or [], max_blocks=100) + (
            [] if view.get("type") == "home" else ["not a home view"]
        )
    if call.path.endswith(("chat.postMessage", "chat.postEphemeral", "chat.update")) or "/hooks/" in call.path:
        if call.body.get("delete_original"):
            return []
        return message_problems({**call.body, "blocks": call.blocks})
    return []
