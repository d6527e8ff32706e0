"""Stand-ins for the Teams tests: the Bot Connector (where the bot's replies go), a recorder that remembers what
it was told, and Teams-shaped activities.

The connector stand-in is a small threaded HTTP server on a free loopback port. An activity whose `serviceUrl`
points at it gets its replies there (`POST /v3/conversations/{id}/activities[/{replyToId}]`), and each is
recorded: the conversation, the activity it replies to, whether a bearer token came, and the body. A new
conversation (`POST /v3/conversations`, a new thread in a channel) is answered as Teams does, with the thread's
id (`<channel>;messageid=<root>`) and its first activity's id.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.slack.fakes import RecordingRecorder as SlackRecordingRecorder

BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
BOT_NAME = "physio-career"
TENANT = "72f988bf-0000-0000-0000-000000000001"
MEMBER_AAD = "6f0c0000-0000-0000-0000-00000000a11c"
ADMIN_AAD = "ad0a0000-0000-0000-0000-0000000000ad"
PERSONAL = "a:1personal-conversation-with-alice"
CHANNEL_ROOT = "19:physio-associates@thread.tacv2"
GROUP = "19:group-chat-of-three@thread.v2"
_PATH = re.compile(r"^/v3/conversations/(?P<conversation>.+?)/activities(?:/(?P<reply_to>[^/]+))?$")


@dataclass
class Posted:
    method: str
    path: str
    conversation: str | None
    reply_to: str | None  # the activity id in the path (`reply_to_activity`)
    authorized: bool  # a bearer token came with it
    body: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)  # what the stand-in answered

    @property
    def card(self) -> dict[str, Any]:
        """The Adaptive Card the reply carries (its only attachment)."""
        attachments = self.body.get("attachments") or []
        assert len(attachments) == 1, attachments
        assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        return attachments[0]["content"]


class ConnectorStandIn:
    """A recording stand-in for the Bot Connector service."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self._failures: list[int] = []  # statuses to answer instead of 200, one per request, first first
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                stand_in._record(self)

            do_PUT = do_DELETE = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.service_url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _record(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        path = unquote(request.path.split("?", 1)[0])
        match = _PATH.match(path)
        posted = Posted(
            method=request.command,
            path=path,
            conversation=match.group("conversation") if match else None,
            reply_to=match.group("reply_to") if match else None,
            authorized=str(request.headers.get("Authorization") or "").lower().startswith("bearer "),
            body=json.loads(raw) if raw else {},
        )
        with self._lock:
            self.posted.append(posted)
            status = self._failures.pop(0) if self._failures else 200
            number = next(self._ids)
            if path.rstrip("/") == "/v3/conversations" and status == 200:
                channel = ((posted.body.get("channelData") or {}).get("channel") or {}).get("id", "19:unknown")
                root = str(1_800_000_000_000 + number)
                result: dict[str, Any] = {"id": f"{channel};messageid={root}", "activityId": root}
            else:
                result = {"id": f"reply-{number}"} if status == 200 else {"error": "no"}
            posted.answer = result
            answer = json.dumps(result).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(answer)))
        request.end_headers()
        request.wfile.write(answer)

    def fail(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with `status` (401: the connector rejects the bot's token)."""
        with self._lock:
            self._failures += [status] * times

    def replies(self) -> list[Posted]:
        with self._lock:
            return [p for p in self.posted if p.body.get("type") == "message"]

    def created(self) -> list[Posted]:
        """New conversations the bot started (threads in a channel), each with its first message in `body`."""
        with self._lock:
            return [p for p in self.posted if p.path.rstrip("/") == "/v3/conversations"]

    def clear(self) -> None:
        with self._lock:
            self.posted.clear()


class RecordingRecorder(SlackRecordingRecorder):
    """The Slack tests' recording double, also remembering the ledger keys it was asked to claim and giving a
    fixed report."""

    def __init__(self, report: str = "Nothing to report yet.") -> None:
        super().__init__()
        self.claimed: list[str] = []
        self.report = report

    def claim_event(self, key: str) -> bool:
        with self._lock:
            self.claimed.append(key)
        return super().claim_event(key)

    def report_text(self, since: str = "30d") -> str:
        return self.report


# --- activities -----------------------------------------------------------------------------------------
_activity_ids = itertools.count(1_700_000_000_001)


def next_id() -> str:
    return str(next(_activity_ids))


def _base(kind: str, service_url: str, conversation: dict[str, Any], *, aad: str | None = MEMBER_AAD, **fields: Any):
    sender = {"id": "29:1member-teams-id", "name": "Alice Example"}
    if aad is not None:
        sender["aadObjectId"] = aad
    activity: dict[str, Any] = {
        "type": kind,
        "id": fields.pop("id", None) or next_id(),
        "timestamp": "2026-12-01T10:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": {"tenantId": TENANT, **conversation},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
    }
    activity.update(fields)
    return activity


def personal(service_url: str, text: str, **fields: Any) -> dict[str, Any]:
    """A message in the member's personal chat with the bot."""
    conversation = {"id": PERSONAL, "conversationType": "personal"}
    return _base("message", service_url, conversation, text=text, textFormat="plain", **fields)


def _mention_entity() -> dict[str, Any]:
    return {"type": "mention", "mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": f"<at>{BOT_NAME}</at>"}


def channel(service_url: str, text: str, *, mention: bool = True, root: str | None = None, **fields: Any):
    """A message in a team's channel (a new post, or a reply in the thread of `root`), @mentioning the bot."""
    activity_id = fields.pop("id", None) or next_id()
    conversation = {"id": f"{CHANNEL_ROOT};messageid={root or activity_id}", "conversationType": "channel"}
    entities = [_mention_entity()] if mention else []
    body = f"<at>{BOT_NAME}</at> {text}" if mention else text
    return _base(
        "message", service_url, conversation, id=activity_id, text=body, textFormat="plain", entities=entities, **fields
    )


def group(service_url: str, text: str, *, mention: bool = True, **fields: Any) -> dict[str, Any]:
    conversation = {"id": GROUP, "conversationType": "groupChat"}
    entities = [_mention_entity()] if mention else []
    body = f"<at>{BOT_NAME}</at> {text}" if mention else text
    return _base("message", service_url, conversation, text=body, textFormat="plain", entities=entities, **fields)


def submit(service_url: str, data: Any, *, conversation: dict[str, Any] | None = None, **fields: Any):
    """An Action.Submit click: a message with no text and the action's data as its value."""
    conversation = conversation or {"id": PERSONAL, "conversationType": "personal"}
    return _base("message", service_url, conversation, value=data, replyToId="reply-1", **fields)


def execute(service_url: str, verb: Any, data: Any, **fields: Any) -> dict[str, Any]:
    """An Action.Execute click: an `adaptiveCard/action` invoke."""
    conversation = fields.pop("conversation", None) or {"id": PERSONAL, "conversationType": "personal"}
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    return _base("invoke", service_url, conversation, name="adaptiveCard/action", value=value, **fields)


def bot_added(service_url: str, *, team: bool = False, others: bool = False, **fields: Any) -> dict[str, Any]:
    """`conversationUpdate` adding the bot to a personal chat, or (team=True) to a team."""
    if team:
        conversation = {"id": CHANNEL_ROOT, "conversationType": "channel"}
        channel_data = {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded", "team": {"id": CHANNEL_ROOT}}
    else:
        conversation = {"id": PERSONAL, "conversationType": "personal"}
        channel_data = {"tenant": {"id": TENANT}}
    added = [{"id": "29:1someone-else"}] if others else [{"id": BOT_ID}]
    return _base(
        "conversationUpdate",
        service_url,
        conversation,
        id=fields.pop("id", None) or f"f:{next_id()}",
        membersAdded=added,
        channelData=channel_data,
        **fields,
    )
