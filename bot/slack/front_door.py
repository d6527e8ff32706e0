"""The front door for Slack's HTTP requests: size, signature and parsing are ours, Bolt only sees verified dicts.

`SlackFrontDoor(app, signing_secret).handle` is the aiohttp handler for `POST /slack/events` (commands, events and
interactivity alike). For every request, in this order and before Bolt sees anything:

1. **Size.** A missing `Content-Length`, or one over `MAX_BODY` (1 MiB; Slack's payloads stay far below it), is
   answered 413 without reading the body (also when the client sent `Expect: 100-continue`: it gets the 413
   instead of "100 Continue"). The body is then read in chunks and never past `MAX_BODY + 1` bytes, whatever the
   header said; a body that has not arrived within `read_timeout` seconds gets 408.
2. **Signature**, strictly (`verify_signature`): `X-Slack-Request-Timestamp` is 1 to 12 ASCII digits within 300 s
   of the clock, `X-Slack-Signature` is `v0=` and 64 lowercase hex digits, and it equals, by
   `hmac.compare_digest`, `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{raw body bytes}`). Anything that cannot
   be verified, for whatever reason, gets 401 and nothing else happens: no Bolt, so no listener, no error
   handler, no Web API or `response_url` call. (The audit's failure 3 was slack_sdk raising on `int("abc")` and
   Bolt's error handler then "apologising" with the unverified body.)
3. **Parsing**, only once verified: `application/json` (events; UTF-8, nesting depth at most `MAX_DEPTH`, checked
   by a linear scan before `json.loads` so a 100,000-deep body cannot reach a `RecursionError`) or
   `application/x-www-form-urlencoded` (commands and interactivity; UTF-8, at most `MAX_FIELDS` fields, blank
   values kept). A form is interactivity only when it has a `payload` field and no `command` field; its
   `payload` must be a JSON object. Anything else gets 400 (415 for a content type or charset we do not take),
   never 500 and never a traceback.
4. **Slack's housekeeping**, answered here and never dispatched: `url_verification` (the challenge),
   `ssl_check=1` (a bare 200) and `app_rate_limited` (200, and one warning naming the team id).
5. **Dispatch**: `AsyncBoltRequest(body=<the parsed dict>, mode="socket_mode", context={"verified": True}, ...)`
   and `await app.async_dispatch(...)`; the `BoltResponse` becomes the aiohttp response.

Why `mode="socket_mode"` (checked against slack_bolt 1.30, `slack_bolt/request/async_request.py`,
`middleware/request_verification/`, `listener/asyncio_runner.py`, `adapter/socket_mode/async_internals.py`):

- In `mode="http"` Bolt insists on the raw body as a `str` and parses it itself with `parse_body`, which treats
  *any* form containing the substring "payload" as interactivity: `/physio-career what is a payload` arrives as
  `{}` and no listener matches. Only `mode="socket_mode"` accepts a dict body as it is (`raw_body` is then "").
- In the app core (adapters aside), `mode` changes exactly two things: `RequestVerification` is skipped
  (`_can_skip`), and `to_copyable()` (the copy lazy listeners get) copies the dict body instead of re-parsing
  `raw_body`. Nothing else reads `mode` or `raw_body`.
- Acknowledgement is *not* changed: the listener runner is the same in both modes, so with
  `process_before_response=False` events are acked at once (auto-ack, the listener runs as a task) and a
  command's `ack(text=..., blocks=...)` is returned by `async_dispatch` and goes back here as the HTTP response,
  exactly as in HTTP mode. `respond()` still posts to the body's `response_url`; lazy listeners still run.
- What Socket Mode does differently lives in its *adapter*, which we do not use: it sends the ack over the
  WebSocket and mirrors the envelope's `retry_attempt`/`retry_reason` into `x-slack-retry-num`/`-reason`. Here
  the real HTTP headers are passed through, so `X-Slack-Retry-Num` reaches middleware as usual.
- Bolt also reads two internal headers, `x-slack-bolt-lazy-only` and `x-slack-bolt-lazy-function-name` (for
  FaaS lazy listeners); headers are not covered by Slack's signature, so any `x-slack-bolt-*` header is dropped.

The rejected alternative, `request_verification_enabled=False` with `mode="http"`, would still hand Bolt a
string to re-parse with the "payload" flaw above. So keep the app's `request_verification_enabled=True` (the
default): the front door's requests skip it anyway, and anything that ever dispatches an HTTP-mode request by
another road is still checked by Bolt.

Logging: one line per rejected request with the status, the reason, the kind (json/form, or the payload type once
parsed) and the size; never the body, header values, user ids or text. `quiet_bolt_logs(app)` (called by the
front door) rewrites the few Bolt log lines that would print a body ("Responding with status: ... body: ...",
"Skipped self event: ...", "Invalid request signature detected ...", "... for the request (...)").

`install_error_guard(app)` registers Bolt's error handler: it apologises to the member (in the command's HTTP
answer, via `respond`, or with an ephemeral message) only for requests marked verified
(`context["verified"] is True`: the front door's, and the Socket Mode handler's if it sets it), and never logs
the body.

Using it (`bot/slack/app.py`, `bot/web.py`):

    app = AsyncApp(client=AsyncWebClient(token=..., base_url=...), signing_secret=secret, name="physio-career")
    install_error_guard(app)   # request_verification_enabled stays True (the default)
    quiet_bolt_logs(app)       # the front door does this too; call it anyway for Socket Mode, which has none
    SlackFrontDoor(app, secret).add_routes(web_app)          # POST /slack/events; other methods get 405

A Socket Mode handler should build its requests with `context={"verified": True}` (the socket is authenticated
by the app-level token), or the error guard will not apologise for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from multidict import CIMultiDict
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

MAX_BODY = 1_048_576
"""Largest request body accepted, in bytes (1 MiB). Slack's largest payloads (a block_actions on a message with
50 blocks, a modal submission) are tens of kilobytes."""
MAX_SKEW = 300
"""Seconds a request timestamp may be away from our clock, either way (Slack's own verifier uses 5 minutes)."""
MAX_DEPTH = 64
"""Deepest JSON nesting accepted; Slack's payloads are about 8 deep."""
MAX_FIELDS = 200
"""Most form fields accepted; a slash command has about 12, an interactivity form 1."""
READ_TIMEOUT = 10.0
"""Seconds a client gets to send the whole body once its headers have arrived."""
VERIFIED = "verified"
"""The context key the front door sets to True on every request it dispatches."""

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # [0-9] is ASCII only, unlike str.isdigit() or \d
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_SLACK_ID = re.compile(r"[A-Z0-9]{1,24}")
_DROPPED_HEADERS = ("x-slack-bolt-",)
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}


# --- signature ----------------------------------------------------------------------------------------------
def verify_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str | None:
    """None when `signature` is Slack's v0 signature of `body` at `timestamp`; otherwise why not (for the log).

    Strict by design: the timestamp must be 1-12 ASCII digits (no sign, spaces, decimals, hex or other scripts'
    digits) within `MAX_SKEW` seconds of `now`, and the signature `v0=` and 64 lowercase hex digits. The HMAC
    covers the exact bytes received.
    """
    if not secret:
        return "no signing secret configured"
    if timestamp is None:
        return "timestamp header missing"
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        return "timestamp is not 1-12 ASCII digits"
    skew = now - int(timestamp)
    if skew > MAX_SKEW:
        return "timestamp too old"
    if skew < -MAX_SKEW:
        return "timestamp in the future"
    if signature is None:
        return "signature header missing"
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        return "signature is not v0= and 64 lowercase hex digits"
    if isinstance(body, str):
        body = body.encode("utf-8")
    base = b"v0:" + timestamp.encode("ascii") + b":" + bytes(body)
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return "signature does not match"
    return None


# --- parsing ------------------------------------------------------------------------------------------------
class Rejected(Exception):
    """A request we answer with `status` and do not dispatch; `reason` goes to the log (never request data)."""

    def __init__(self, status: int, reason: str, kind: str = "unknown") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.kind = kind


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when `text` nests arrays/objects deeper than `limit`. One linear pass, no recursion; brackets inside
    JSON strings do not count. Stops at the first bracket past the limit."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def parse_json_object(text: str, kind: str) -> dict[str, Any]:
    """A JSON object, or Rejected(400): invalid JSON, too deep, or not an object."""
    if json_depth_exceeds(text):
        raise Rejected(400, f"JSON nested deeper than {MAX_DEPTH}", kind)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as is an over-long integer
        raise Rejected(400, "invalid JSON", kind) from None
    if not isinstance(value, dict):
        raise Rejected(400, "JSON is not an object", kind)
    return value


def parse_form(text: str) -> dict[str, str]:
    """Form fields (the last value of a repeated name wins, as in Bolt), or Rejected(400)."""
    try:
        pairs = urllib.parse.parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise Rejected(400, "form field is not UTF-8", "form") from None
    except ValueError:
        raise Rejected(400, f"more than {MAX_FIELDS} form fields", "form") from None
    return dict(pairs)


def content_kind(request: web.BaseRequest) -> str:
    """The label "json", "form" or "other" for the Content-Type (a label for the log, never the header's value)."""
    mime = request.content_type
    return {JSON: "json", FORM: "form"}.get(mime, "other")


def parse_body(content_type: str, charset: str | None, raw: bytes) -> tuple[str, dict[str, Any]]:
    """(kind, body) for a verified request, or Rejected. Kinds: event types for JSON ("event_callback",
    "url_verification", ...), "slash_command", "interactivity" (then the body is the payload), "ssl_check"."""
    if content_type not in (JSON, FORM):
        raise Rejected(415, "content type is neither JSON nor a form", "other")
    kind = "json" if content_type == JSON else "form"
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise Rejected(415, "charset is not UTF-8", kind)
    if not raw:
        raise Rejected(400, "empty body", kind)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8", kind) from None
    if kind == "json":
        body = parse_json_object(text, kind)
        event_type = body.get("type")
        return (event_type if isinstance(event_type, str) and event_type.isidentifier() else "json"), body
    fields = parse_form(text)
    if fields.get("ssl_check") == "1":
        return "ssl_check", fields
    if "payload" in fields and "command" not in fields:
        return "interactivity", parse_json_object(fields["payload"], "interactivity")
    if "command" in fields:
        return "slash_command", fields
    return "form", fields


class _TooLarge(Exception):
    pass


async def read_capped(stream: Any, limit: int) -> bytes:
    """The body from an aiohttp StreamReader, reading at most `limit + 1` bytes; _TooLarge past `limit`."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await stream.read(min(65_536, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        chunks.append(chunk)


# --- log hygiene ----------------------------------------------------------------------------------------------
class _BoltBodyFilter(logging.Filter):
    """Rewrites the Bolt log lines that would print a request or response body; passes everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        rewritten = _without_body(message)
        if rewritten is not None:
            record.msg, record.args = rewritten, ()
        return True


def _without_body(message: str) -> str | None:
    if message.startswith("Responding with status:"):
        return message.split(" body:", 1)[0] + " (body not logged)"
    if message.startswith("Responding with listener middleware's response"):
        return message.split(", body:", 1)[0] + " (body not logged)"
    if message.startswith("Skipped self event"):
        return "Skipped self event (event not logged)"
    if message.startswith("Invalid request signature detected"):
        return "Invalid request signature detected (details not logged)"
    if message.startswith("A global middleware (") and " for the request (" in message:
        return message.split(" for the request (", 1)[0] + " (request not logged)"
    return None


def quiet_bolt_logs(app: Any) -> None:
    """Keep bodies out of Bolt's logs (its app logger and the middleware loggers that print them). Idempotent."""
    names = ("IgnoringSelfEvents", "AsyncIgnoringSelfEvents", "RequestVerification", "AsyncRequestVerification")
    loggers = [getattr(app, "logger", None), *(logging.getLogger(f"slack_bolt.{n}") for n in names)]
    for logger in loggers:
        if isinstance(logger, logging.Logger) and not any(isinstance(f, _BoltBodyFilter) for f in logger.filters):
            logger.addFilter(_BoltBodyFilter())


# --- the handler ----------------------------------------------------------------------------------------------
def _plain(status: int, error: str | None = None) -> web.Response:
    if error is None:
        return web.Response(status=status, body=b"")
    return web.Response(status=status, text=json.dumps({"error": error}), content_type="application/json")


_ERRORS = {
    400: "bad request",
    401: "invalid request",
    408: "request timeout",
    413: "request body too large",
    415: "unsupported media type",
}


def bolt_headers(request: web.BaseRequest) -> dict[str, list[str]]:
    """The request's headers as Bolt wants them (lower-case name -> values), without Bolt's internal ones."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key.startswith(_DROPPED_HEADERS):
            continue
        headers.setdefault(key, []).append(value)
    return headers


def to_aiohttp(response: BoltResponse) -> web.Response:
    """A BoltResponse as an aiohttp response: the same status, headers (every value) and body."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, values in (response.headers or {}).items():
        if name.lower() in _HOP_BY_HOP:
            continue
        for value in values:
            headers.add(name, str(value))
    body = response.body or ""
    return web.Response(status=response.status, body=body.encode("utf-8"), headers=headers)


class SlackFrontDoor:
    """The aiohttp handler in front of an `AsyncApp`: see the module docstring for what it does, in order."""

    def __init__(
        self,
        app: Any,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        max_body: int = MAX_BODY,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if not isinstance(signing_secret, str) or not signing_secret:
            raise ValueError("SlackFrontDoor needs the app's signing secret")
        if max_body < 1:
            raise ValueError("max_body must be at least 1 byte")
        self._app = app
        self._secret = signing_secret
        self._clock = clock
        self._max_body = max_body
        self._read_timeout = read_timeout
        quiet_bolt_logs(app)

    def add_routes(self, web_app: web.Application, path: str = "/slack/events") -> None:
        """Serve `POST path` (other methods on it get aiohttp's 405)."""
        web_app.router.add_post(path, self.handle, expect_handler=self._expect)

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        """`Expect: 100-continue`: a body we would refuse is refused before the client sends it."""
        refused = self._size_refusal(request)
        if refused is not None:
            return refused
        expect = request.headers.get("Expect", "")
        if expect.lower() != "100-continue":
            return self._reject(request, Rejected(417, "unknown Expect value", content_kind(request)))
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
        return None

    def _size_refusal(self, request: web.BaseRequest) -> web.Response | None:
        try:
            size = request.content_length
        except ValueError:
            return self._reject(request, Rejected(400, "invalid Content-Length", content_kind(request)))
        if size is None:
            return self._reject(request, Rejected(413, "no Content-Length", content_kind(request)))
        if size > self._max_body:
            return self._reject(request, Rejected(413, "Content-Length over the limit", content_kind(request)), size)
        return None

    def _reject(self, request: web.BaseRequest, rejected: Rejected, size: int | str | None = None) -> web.Response:
        if size is None:
            try:
                size = request.content_length
            except ValueError:
                size = None
        log.info(
            "slack request refused: %d, %s (kind %s, %s bytes)",
            rejected.status,
            rejected.reason,
            rejected.kind,
            "?" if size is None else size,
        )
        response = _plain(rejected.status, _ERRORS.get(rejected.status, "refused"))
        if rejected.status in (408, 413):
            response.force_close()  # do not keep a connection whose body we did not read
        return response

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one request on the Slack events URL."""
        refused = self._size_refusal(request)
        if refused is not None:
            return refused
        kind = content_kind(request)
        try:
            async with asyncio.timeout(self._read_timeout):
                raw = await read_capped(request.content, self._max_body)
        except _TooLarge:
            return self._reject(request, Rejected(413, "body over the limit", kind), f"over {self._max_body}")
        except TimeoutError:
            return self._reject(request, Rejected(408, "body not received in time", kind))
        except Exception as exc:  # a dropped connection, aiohttp's payload errors (e.g. a truncated chunked body)
            return self._reject(request, Rejected(400, f"body could not be read ({type(exc).__name__})", kind))

        reason = verify_signature(
            self._secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            raw,
            self._clock(),
        )
        if reason is not None:
            return self._reject(request, Rejected(401, reason, kind), len(raw))

        try:
            kind, body = parse_body(request.content_type, request.charset, raw)
        except Rejected as rejected:
            return self._reject(request, rejected, len(raw))

        if kind == "ssl_check":
            return _plain(200)
        if kind == "url_verification":
            challenge = body.get("challenge")
            if not isinstance(challenge, str):
                return self._reject(request, Rejected(400, "url_verification without a challenge", kind), len(raw))
            return web.Response(text=json.dumps({"challenge": challenge}), content_type="application/json")
        if kind == "app_rate_limited":
            team = body.get("team_id")
            team = team if isinstance(team, str) and _SLACK_ID.fullmatch(team) else "?"
            log.warning("Slack is rate-limiting event deliveries to this app (team %s); events are being dropped", team)
            return _plain(200)
        return await self._dispatch(request, kind, body)

    async def _dispatch(self, request: web.Request, kind: str, body: dict[str, Any]) -> web.Response:
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=bolt_headers(request),  # type: ignore[arg-type]
            context={VERIFIED: True},
            mode="socket_mode",  # a dict body, not re-parsed; no second signature check (see the docstring)
        )
        try:
            response = await self._app.async_dispatch(bolt_request)
        except Exception as exc:  # Bolt catches listener errors itself; this is a last resort
            log.error("Bolt failed on a verified %s request (%s)", kind, type(exc).__name__)
            return _plain(500)
        return to_aiohttp(response)


# --- Bolt's error handler -----------------------------------------------------------------------------------
def _describe(body: Any) -> str:
    if not isinstance(body, dict):
        return "request"
    if body.get("command"):
        return "slash command"
    kind = body.get("type")
    kind = kind if isinstance(kind, str) and kind.isidentifier() else "request"
    event = body.get("event")
    event_type = event.get("type") if isinstance(event, dict) else None
    return f"{kind} ({event_type})" if isinstance(event_type, str) and event_type.isidentifier() else kind


def _slack_error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if response is None:
        return None
    try:
        code = response.get("error")
    except Exception:
        return None
    return code if isinstance(code, str) and code.replace("_", "").isalnum() else None


def _apology_message(apology: str | Mapping[str, Any] | None) -> dict[str, Any]:
    if apology is None:  # the project's own words and layout, as every other notice the bot sends
        from bot.slack import blocks as render

        return dict(render.notice_message(render.APOLOGY))
    if isinstance(apology, str):
        return {"text": apology}
    return dict(apology)


def install_error_guard(
    app: Any, *, apology: str | Mapping[str, Any] | None = None
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Register an error handler on `app` (an AsyncApp) that apologises to the member only for verified requests.

    For a request the front door (or the Socket Mode handler) marked verified (`context["verified"] is True`) it
    logs one line, the request kind and the exception with its traceback (never the body), and apologises: in the
    HTTP answer of a command not yet acknowledged, else via `respond` when the body has a `response_url`, else
    with an ephemeral message (`chat.postEphemeral`) to the event's user, in its thread in a channel.
    `apology` is a text or a message (text and blocks); by default the bot's own notice
    (`bot.slack.blocks.notice_message(APOLOGY)`). Any other request gets nothing: no apology, no outbound call,
    only a warning naming the exception type. Returns the handler.
    """
    message = _apology_message(apology)

    async def guard(error, body, context, response=None, respond=None, client=None):
        if context.get(VERIFIED) is not True:
            log.warning(
                "error on a request that was not verified by the front door (%s); ignored", type(error).__name__
            )
            return None
        code = _slack_error_code(error)
        log.error(
            "could not handle a Slack %s (%s%s)",
            _describe(body),
            type(error).__name__,
            f"; Slack said {code}" if code else "",
            exc_info=error,
        )
        body = body if isinstance(body, dict) else {}
        if body.get("command") and response is not None:  # not acknowledged yet: the apology is the answer
            payload = json.dumps({"response_type": "ephemeral", **message})
            return BoltResponse(status=200, body=payload, headers={"content-type": "application/json;charset=utf-8"})
        try:
            await _apologise(body, context, message, respond, client)
        except Exception as exc:  # the apology is a courtesy; it must not raise from the error handler
            log.warning("could not send the member an apology either: %s", _slack_error_code(exc) or type(exc).__name__)
        if response is not None:
            return BoltResponse(status=200, body="")  # Slack would only redeliver a request that fails the same way
        return None

    app.error(guard)
    return guard


async def _apologise(body: dict, context: Any, message: dict[str, Any], respond, client) -> None:
    if respond is not None and (body.get("response_url") or context.get("response_url")):
        await respond(replace_original=False, response_type="ephemeral", **message)
        return
    event = body.get("event")
    if not isinstance(event, dict) or "bot_id" in event:
        return
    channel, user = event.get("channel"), event.get("user")
    if not (isinstance(channel, str) and channel and isinstance(user, str) and user) or client is None:
        return
    thread_ts = event.get("thread_ts") or (None if channel.startswith("D") else event.get("ts"))
    await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, **message)
