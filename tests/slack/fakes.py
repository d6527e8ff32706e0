"""What stands in for Slack in the tests: a recording Web API on a free localhost port, a request signer and
the payload files. Only what is outside our walls is faked; the Bolt app under test is the real one."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.curators_log.recorder import NullRecorder

PAYLOADS = Path(__file__).resolve().parent / "payloads"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-0000-secret-bot-token"
AUTH_TEST = {
    "ok": True,
    "url": "https://physio-demo.slack.com/",
    "team": "physio-demo",
    "user": "physio-career-bot",
    "team_id": "T0001",
    "user_id": "U0002",
    "bot_id": "B0001",
    "is_enterprise_install": False,
}


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1] if self.path.startswith("/api/") else self.path

    @property
    def blocks(self) -> list[dict]:
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def view(self) -> dict:
        view = self.body.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view


@dataclass
class Canned:
    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to hang before answering (a slow or stuck Web API)


class SlackApiStandIn:
    """A recording stand-in of the Slack Web API (`/api/<method>`) and of response URLs (`/hooks/...`).

    `fail(method, ...)` makes a method answer an error for the next `times` calls (or always), e.g.
    `fail("chat.postMessage", error="not_in_channel")` or `fail("chat.postMessage", status=429, retry_after=0)`.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._overrides: dict[str, list[tuple[Canned, int | None]]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                stand_in._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # configuring -----------------------------------------------------------------------------------------
    def respond_with(self, method: str, body: dict[str, Any]) -> None:
        """Make `method` answer `body` (ok) from now on."""
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(200, body), None))

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int | None = None,
    ) -> None:
        body: dict[str, Any] | str = {"ok": False, "error": error} if error else {"ok": False, "error": "fatal_error"}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status >= 500:
            body = "<html>Slack is having trouble</html>"
        elif status == 429:
            body = {"ok": False, "error": "ratelimited"}
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(status, body, headers), times))

    def hang(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Make `method` take `seconds` before it answers (ok), e.g. a stuck chat.postMessage."""
        ok = AUTH_TEST if method == "auth.test" else {"ok": True, "channel": "D0001", "ts": f"{time.time():.6f}"}
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(200, ok, delay=seconds), times))

    # asserting -------------------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Calls to a Web API method ("chat.postMessage") or to response URLs ("hooks")."""
        with self._lock:
            if method == "hooks":
                return [c for c in self.calls if c.path.startswith("/hooks/")]
            return [c for c in self.calls if c.path == f"/api/{method}"]

    def last(self, method: str) -> Call:
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; calls were {[c.path for c in self.calls]}"
        return calls[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Poll until `count` calls to `method` arrived (for the real server, which answers asynchronously)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [
                    c for c in self.calls if c.path == f"/api/{method}" or (method == "hooks" and "/hooks/" in c.path)
                ]
                if len(calls) >= count or time.monotonic() > deadline:
                    return calls
                self._changed.wait(timeout=0.05)

    def outbound(self) -> list[Call]:
        """Every call except the start-up auth.test."""
        with self._lock:
            return [c for c in self.calls if c.path != "/api/auth.test"]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._overrides.clear()

    # serving ---------------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode("utf-8") if length else ""
        parts = urllib.parse.urlsplit(request.path)
        path = parts.path
        # the SDK sends some methods' arguments in the query string (conversations.open)
        body = {**dict(urllib.parse.parse_qsl(parts.query)), **_parse(raw)}
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._changed:
            self.calls.append(Call(path, body, headers))
            self._changed.notify_all()
            canned = self._canned(path)
        if canned.delay:
            time.sleep(canned.delay)
        payload = canned.body if isinstance(canned.body, str) else json.dumps(canned.body)
        data = payload.encode()
        request.send_response(canned.status)
        is_json = not isinstance(canned.body, str)
        request.send_header("Content-Type", "application/json; charset=utf-8" if is_json else "text/plain")
        for name, value in canned.headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _canned(self, path: str) -> Canned:
        method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "hooks"
        queue = self._overrides.get(method) or []
        if queue:
            canned, times = queue[0]
            if times is not None:
                times -= 1
                if times <= 0:
                    queue.pop(0)
                else:
                    queue[0] = (canned, times)
            return canned
        if path.startswith("/hooks/"):
            return Canned(200, "ok")
        if method == "auth.test":
            return Canned(200, AUTH_TEST)
        if method == "chat.postMessage":
            return Canned(200, {"ok": True, "channel": "C0001", "ts": f"{time.time():.6f}", "message": {}})
        if method == "conversations.open":
            return Canned(200, {"ok": True, "channel": {"id": "D0001"}})
        return Canned(200, {"ok": True})


def _parse(raw: str) -> dict[str, Any]:
    if raw.lstrip().startswith("{"):
        return json.loads(raw)
    return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))


# --- signing and payloads ---------------------------------------------------------------------------------
def signed_headers(raw: str, *, secret: str = SIGNING_SECRET, ts: int | None = None, content_type: str) -> dict:
    timestamp = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), f"v0:{timestamp}:{raw}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={mac}"}


def load_json(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def load_raw(name: str) -> str:
    """A payload file exactly as it goes on the wire (form files are saved without a trailing newline)."""
    return (PAYLOADS / name).read_text(encoding="utf-8").strip()


def load_form(name: str) -> dict[str, str]:
    """A form-encoded payload file (a slash command) as its fields. The files have no trailing newline."""
    return dict(urllib.parse.parse_qsl((PAYLOADS / name).read_text(encoding="utf-8").strip(), keep_blank_values=True))


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
        return cls(json.dumps(envelope), "application/json")

    @classmethod
    def form(cls, fields: dict[str, str]) -> Wire:
        return cls(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded")

    @classmethod
    def interactive(cls, payload: dict) -> Wire:
        return cls("payload=" + urllib.parse.quote(json.dumps(payload)), "application/x-www-form-urlencoded")

    def request(
        self, *, secret: str = SIGNING_SECRET, ts: int | None = None, headers: dict[str, str] | None = None
    ) -> AsyncBoltRequest:
        all_headers = signed_headers(self.raw, secret=secret, ts=ts, content_type=self.content_type)
        all_headers.update(headers or {})
        return AsyncBoltRequest(body=self.raw, headers=all_headers)


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


class RecordingRecorder(NullRecorder):
    """Stands in for the database-backed recorder (another module's job): remembers what it was told and
    hands out refs q1, q2, ...; de-duplicates like NullRecorder."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[tuple[str, str, str | None, str | None]] = []  # surface, text, entry, user
        self.feedback: list[tuple[str | None, str, bool, str | None]] = []
        self.choices: list[tuple[str | None, str, str | None]] = []
        self.flags: list[tuple[str | None, str, str | None]] = []
        self._lock = threading.Lock()

    def record_question(self, surface, question, reply, *, user_id=None, nation=None, guard=None):
        with self._lock:
            self.questions.append((surface, question, reply.entry_id, user_id))
            return f"q{len(self.questions)}"

    def record_feedback(self, ref, entry_id, helpful, *, surface="button", user_id=None):
        with self._lock:
            self.feedback.append((ref, entry_id, helpful, user_id))

    def record_choice(self, ref, entry_id, *, surface="button", user_id=None):
        with self._lock:
            self.choices.append((ref, entry_id, user_id))

    def record_flag(self, ref, entry_id, *, reason="not-what-i-asked", surface="button", user_id=None):
        with self._lock:
            self.flags.append((ref, entry_id, user_id))


class BrokenRecorder:
    """A recorder whose store is down: every call raises."""

    def record_question(self, *args, **kwargs):
        raise ConnectionError("database is down")

    record_feedback = record_choice = claim_event = record_question


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


# --- Socket Mode --------------------------------------------------------------------------------------------
class SocketModeStandIn:
    """A minimal WebSocket server playing Slack's side of Socket Mode on a free port: says hello, sends the
    envelopes it is given, answers pings, and records the acknowledgements the app sends back."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, envelopes: list[dict]) -> None:
        import socket

        self.envelopes = envelopes
        self.acks: list[dict] = []
        self._acked = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=stand-in"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def wait_for_acks(self, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._acked:
            while len(self.acks) < count and time.monotonic() < deadline:
                self._acked.wait(timeout=0.05)
            return list(self.acks)

    def _serve(self) -> None:
        import base64

        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(":", 1)[1].strip()
                for line in request.decode().split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()  # noqa: S324
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            self._send(conn, 0x1, json.dumps({"type": "hello", "num_connections": 1}).encode())
            for envelope in self.envelopes:
                self._send(conn, 0x1, json.dumps(envelope).encode())
            buffer = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while (frame := self._frame(buffer)) is not None:
                    opcode, payload, used = frame
                    buffer = buffer[used:]
                    if opcode == 0x9:  # ping
                        self._send(conn, 0xA, payload)
                    elif opcode == 0x8:  # close
                        return
                    elif opcode == 0x1:
                        with self._acked:
                            self.acks.append(json.loads(payload))
                            self._acked.notify_all()

    @staticmethod
    def _send(conn, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + n.to_bytes(2, "big")
        else:
            head += bytes([127]) + n.to_bytes(8, "big")
        conn.sendall(head + payload)

    @staticmethod
    def _frame(data: bytes) -> tuple[int, bytes, int] | None:
        if len(data) < 2:
            return None
        opcode = data[0] & 0x0F
        masked = data[1] & 0x80
        n = data[1] & 0x7F
        pos = 2
        if n == 126:
            if len(data) < 4:
                return None
            n, pos = int.from_bytes(data[2:4], "big"), 4
        elif n == 127:
            if len(data) < 10:
                return None
            n, pos = int.from_bytes(data[2:10], "big"), 10
        mask = b""
        if masked:
            mask, pos = data[pos : pos + 4], pos + 4
        if len(data) < pos + n:
            return None
        payload = data[pos : pos + n]
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return opcode, payload, pos + n
