"""The front door (`bot.slack.front_door`) on loopback: a real aiohttp server (TestServer) running the door in front
of a real `AsyncApp` with a few small listeners, the Web API stand-in (`stand_ins/web_api.py`) as Slack, and a second
stand-in playing an attacker-chosen `response_url`. Each test runs its own event loop with `asyncio.run`, so no
pytest plugin is needed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks as render
from bot.slack import front_door
from bot.slack.front_door import (
    MAX_BODY,
    SlackFrontDoor,
    install_error_guard,
    json_depth_exceeds,
    verify_signature,
)
from tests.slack.stand_ins.web_api import BOT_TOKEN, SlackApiStandIn
from tests.slack.stand_ins.wire import SIGNING_SECRET, Wire, command_fields, load_json, mention_event, rewrite_hooks

NOW = 1_800_000_000  # the front door's clock in these tests
PATH = "/slack/events"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PRIVATE_USER = "U0PRIV0001"
PRIVATE_TEXT = "zzqx-private-question jane.doe@nhs.net"
APOLOGY = render.notice_message(render.APOLOGY)  # the guard's default: the bot's own notice


# --- signing ------------------------------------------------------------------------------------------------
def mac(raw: bytes | str, ts: str, secret: str = SIGNING_SECRET) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + data, hashlib.sha256).hexdigest()


def signed(raw: bytes | str, content_type: str | None, *, ts: int | str = NOW, secret: str = SIGNING_SECRET) -> dict:
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": mac(raw, str(ts), secret)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


# --- the app and the server ---------------------------------------------------------------------------------
@dataclass
class Seen:
    dispatched: list[AsyncBoltRequest] = field(default_factory=list)
    commands: list[dict] = field(default_factory=list)
    lazy: list[dict] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    retry_headers: list[Any] = field(default_factory=list)
    contexts: list[dict] = field(default_factory=list)


def build_app(api: SlackApiStandIn, *, process_before_response: bool, gate: asyncio.Event | None = None):
    """A real AsyncApp on the stand-in with one listener per surface, plus a count of every dispatch."""
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
        name="front-door-test",
    )
    seen = Seen()
    dispatch = app.async_dispatch

    async def counting_dispatch(request: AsyncBoltRequest):
        seen.dispatched.append(request)
        return await dispatch(request)

    app.async_dispatch = counting_dispatch  # type: ignore[method-assign]

    @app.middleware
    async def note(request, context, next):
        seen.retry_headers.append(request.headers.get("x-slack-retry-num"))
        seen.contexts.append(dict(context))
        return await next()

    @app.command("/physio-career")
    async def command(ack, command):
        seen.commands.append(dict(command))
        if command["text"] == "boom":
            raise RuntimeError("the listener failed")
        await ack(text=command["text"], response_type="ephemeral")

    async def lazy_ack(ack):
        await ack()

    async def lazy_work(command, context):
        seen.lazy.append({**command, "verified": context.get("verified")})

    app.command("/physio-career-lazy")(ack=lazy_ack, lazy=[lazy_work])

    @app.event("app_mention")
    async def mention(event, say):
        seen.mentions.append(event["text"])
        if gate is not None:
            await gate.wait()
        if event["text"] == "boom":
            raise RuntimeError("the listener failed")
        await say(text="Thanks for the mention.", thread_ts=event["ts"])

    @app.event("message")
    async def message(event):
        if event.get("text") == "boom":
            raise RuntimeError("the listener failed")

    @app.action("show_topic")
    async def action(ack, action, respond):
        await ack()
        seen.actions.append(action["value"])
        if action["value"] == "boom":
            raise RuntimeError("the listener failed")
        await respond(text="Here is that topic.", replace_original=False)

    install_error_guard(app)
    return app, seen


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Any

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Door:
    app: AsyncApp
    seen: Seen
    server: TestServer
    client: TestClient
    gate: asyncio.Event | None

    async def post(self, raw: bytes | str, headers: dict[str, str], **kwargs: Any) -> Reply:
        data = raw.encode() if isinstance(raw, str) else raw
        skip = () if "Content-Type" in headers else ("Content-Type",)
        async with self.client.post(PATH, data=data, headers=headers, skip_auto_headers=skip, **kwargs) as resp:
            return Reply(resp.status, await resp.read(), resp.headers)

    async def send(self, wire: Wire, **sign: Any) -> Reply:
        return await self.post(wire.raw, signed(wire.raw, wire.content_type, **sign))

    async def raw_socket(self, head: str, body: bytes = b"", *, wait: float = 5.0) -> bytes:
        """Send raw bytes, then return what the server answers within `wait` seconds (headers, at least)."""
        reader, writer = await asyncio.open_connection(self.server.host, self.server.port)
        try:
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
        finally:
            writer.close()


def run(
    api: SlackApiStandIn,
    scenario: Callable[[Door], Awaitable[Any]],
    *,
    process_before_response: bool = True,
    gated: bool = False,
    **door_options: Any,
) -> Any:
    async def main() -> Any:
        gate = asyncio.Event() if gated else None
        app, seen = build_app(api, process_before_response=process_before_response, gate=gate)
        door = SlackFrontDoor(app, SIGNING_SECRET, clock=lambda: NOW, **door_options)
        web_app = web.Application()
        door.add_routes(web_app)
        async with TestServer(web_app, host="127.0.0.1") as server, TestClient(server) as client:
            result = await scenario(Door(app, seen, server, client, gate))
            await asyncio.sleep(0.05)  # let anything a listener started finish before the loop closes
            return result

    return asyncio.run(main())


@pytest.fixture
def attacker():
    """A second local HTTP server: the `response_url` a forger would choose. It must never be called."""
    server = SlackApiStandIn()
    yield server
    server.close()


def click_payload(hooks_base: str, value: str = "band6-interview") -> dict:
    """block_actions.json with one "show_topic" button click, its response_url on `hooks_base`."""
    payload = rewrite_hooks(load_json("block_actions.json"), hooks_base)
    action = {"action_id": "show_topic", "block_id": "related_topics", "type": "button", "value": value}
    payload["actions"] = [{**action, "text": {"type": "plain_text", "text": "Band 6"}, "action_ts": "1718000300.1"}]
    return payload


def forged_requests(attacker: SlackApiStandIn) -> list[Wire]:
    """The audit's two bypass bodies: a click whose response_url is the attacker's, and a DM event for a victim."""
    click = click_payload(attacker.url)
    click["response_url"] = attacker.url + "/hooks/any-url-the-attacker-likes"
    click["user"]["id"] = PRIVATE_USER
    dm = load_json("message_im.json")
    dm["event"].update(user=PRIVATE_USER, channel="C0ANYCHAN1", text="boom")
    return [Wire.interactive(click), Wire.event(dm)]


def assert_nothing_happened(door: Door, api: SlackApiStandIn, attacker: SlackApiStandIn) -> None:
    assert door.seen.dispatched == [], "Bolt saw a request it should not have"
    assert door.seen.commands == door.seen.actions == door.seen.mentions == []
    assert api.calls == [], [c.path for c in api.calls]
    assert attacker.calls == [], [c.path for c in attacker.calls]


def front_door_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == front_door.__name__]


# --- verify_signature on its own ----------------------------------------------------------------------------
BODY = b'{"type":"event_callback"}'


@pytest.mark.parametrize(
    "ts",
    [
        "abc",
        "",
        "1.5",
        "0x10",
        " ",
        f"{NOW} ",
        f" {NOW}",
        "1800 000000",
        "9" * 400,
        "9" * 13,
        "-1",
        f"-{NOW}",
        f"+{NOW}",
        f"{NOW}.0",
        "1e9",
        "١٨٠٠٠٠٠٠٠٠",  # Arabic-Indic digits: str.isdigit() and int() accept them
        "18000000²",  # a superscript: str.isdigit() accepts it
        f"{NOW}\n",
        str(NOW - 301),
        str(NOW + 301),
        "0",
        None,
    ],
)
def test_verify_signature_rejects_malformed_or_stale_timestamps(ts):
    signature = mac(BODY, ts) if ts is not None else mac(BODY, str(NOW))  # even a correct MAC over it
    assert verify_signature(SIGNING_SECRET, ts, signature, BODY, NOW) is not None


def test_verify_signature_accepts_the_real_thing_up_to_300_seconds_either_way():
    for ts in (NOW, NOW - 300, NOW + 300):
        assert verify_signature(SIGNING_SECRET, str(ts), mac(BODY, str(ts)), BODY, NOW) is None
    assert verify_signature(SIGNING_SECRET, str(NOW), mac(BODY, str(NOW)), BODY, NOW + 0.5) is None


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "v0=",
        "v0=00",
        "v0=" + "0" * 64,
        mac(BODY, str(NOW)).upper(),
        "V0=" + mac(BODY, str(NOW))[3:],
        "v0=" + mac(BODY, str(NOW))[3:].upper(),
        mac(BODY, str(NOW))[3:],  # no v0=
        "v1=" + mac(BODY, str(NOW))[3:],
        mac(BODY, str(NOW))[:-1],
        mac(BODY, str(NOW)) + "0",
        " " + mac(BODY, str(NOW)),
        mac(BODY, str(NOW), "another-secret"),
        mac(BODY + b" ", str(NOW)),
    ],
)
def test_verify_signature_rejects_bad_signatures(signature):
    assert verify_signature(SIGNING_SECRET, str(NOW), signature, BODY, NOW) is not None


def test_verify_signature_needs_a_secret_and_covers_the_exact_bytes():
    raw = "text=caf\u00e9".encode()
    assert verify_signature(SIGNING_SECRET, str(NOW), mac(raw, str(NOW)), raw, NOW) is None
    assert verify_signature("", str(NOW), mac(raw, str(NOW), ""), raw, NOW) is not None
    with pytest.raises(ValueError):
        SlackFrontDoor(object(), "")


def test_depth_scan_is_linear_and_ignores_brackets_in_strings():
    assert json_depth_exceeds("[" * 100_000 + "]" * 100_000)
    assert json_depth_exceeds('{"a":' * 65 + "1" + "}" * 65)
    assert not json_depth_exceeds('{"a":' * 64 + "1" + "}" * 64)
    assert not json_depth_exceeds(json.dumps({"text": "[" * 1000 + '\\"{' * 1000}))


# --- unsigned and badly signed requests: 401 and nothing else --------------------------------------------------
MALFORMED_TIMESTAMPS = [
    "abc",
    "",
    "1.5",
    "0x10",
    "   ",
    "1800 000000",
    "9" * 400,
    "-1",
    f"-{NOW}",
    f"+{NOW}",
    str(NOW - 301),
    str(NOW - 86_400),
    "0",
    str(NOW + 301),
]


@pytest.mark.parametrize("ts", MALFORMED_TIMESTAMPS)
def test_malformed_or_stale_timestamps_get_401_and_nothing_happens(slack_api, attacker, caplog, ts):
    caplog.set_level(logging.DEBUG)

    async def scenario(door: Door) -> None:
        for wire in forged_requests(attacker):
            for signature in ("v0=00", mac(wire.raw, ts)):  # a junk signature, and a correct MAC over the bad ts
                headers = {"Content-Type": wire.content_type, "X-Slack-Request-Timestamp": ts}
                headers["X-Slack-Signature"] = signature
                reply = await door.post(wire.raw, headers)
                assert reply.status == 401, (ts, reply.status, reply.body)
                assert reply.json() == {"error": "invalid request"}
        await asyncio.sleep(0.2)  # anything a listener or error handler started would have run by now
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)
    assert len(front_door_lines(caplog)) == 4  # one line per refused request


def bad_signatures(raw: str) -> dict[str, dict[str, str]]:
    right = mac(raw, str(NOW))
    return {
        "wrong": {"X-Slack-Signature": "v0=" + "ab" * 32},
        "uppercase hex": {"X-Slack-Signature": "v0=" + right[3:].upper()},
        "no v0=": {"X-Slack-Signature": right[3:]},
        "v1=": {"X-Slack-Signature": "v1=" + right[3:]},
        "truncated": {"X-Slack-Signature": right[:-2]},
        "empty": {"X-Slack-Signature": ""},
        "another secret": {"X-Slack-Signature": mac(raw, str(NOW), "not-the-signing-secret")},
        "another body": {"X-Slack-Signature": mac(raw + " ", str(NOW))},
        "missing header": {},
        "no timestamp header": {"X-Slack-Signature": right, "X-Slack-Request-Timestamp": None},
    }


def test_bad_signatures_get_401_and_nothing_happens(slack_api, attacker):
    async def scenario(door: Door) -> list[str]:
        failures = []
        for wire in forged_requests(attacker):
            for name, change in bad_signatures(wire.raw).items():
                headers = {"Content-Type": wire.content_type, "X-Slack-Request-Timestamp": str(NOW), **change}
                headers = {k: v for k, v in headers.items() if v is not None}
                reply = await door.post(wire.raw, headers)
                if reply.status != 401:
                    failures.append(f"{name}: {reply.status}")
        await asyncio.sleep(0.2)
        assert_nothing_happened(door, slack_api, attacker)
        return failures

    assert run(slack_api, scenario) == []


def test_the_same_forged_requests_signed_properly_are_dispatched(slack_api, attacker):
    """The control for the two tests above: only the signature stood between these bodies and the listeners."""

    async def scenario(door: Door) -> None:
        click, dm = forged_requests(attacker)
        assert (await door.send(click)).status == 200
        assert (await door.send(dm)).status == 200
        assert door.seen.actions == ["band6-interview"] and len(door.seen.dispatched) == 2

    run(slack_api, scenario)
    assert len(attacker.calls_to("hooks")) == 1  # respond() went where the (now genuine) body said


# --- size ---------------------------------------------------------------------------------------------------
def test_max_body_is_one_mebibyte():
    assert MAX_BODY == 1_048_576


def test_a_20_mb_body_is_refused_by_its_header_before_it_is_sent(slack_api, attacker):
    """Headers only, no body: the 413 arrives anyway, so the handler cannot have waited for (or read) the body."""

    async def scenario(door: Door) -> None:
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\nContent-Length: 20000000\r\n\r\n"
        started = time.monotonic()
        answer = await door.raw_socket(head, b'{"type": "event_callback", ', wait=3)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert time.monotonic() - started < 2
        expect = head.replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n")
        answer = await door.raw_socket(expect, wait=3)
        assert answer.startswith(b"HTTP/1.1 413"), answer  # not "100 Continue"
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)


def test_a_20_mb_unsigned_body_gets_413_quickly_and_is_not_read(slack_api, attacker, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    reads: list[int] = []
    real_read = front_door.read_capped

    async def spy(stream, limit):
        reads.append(limit)
        return await real_read(stream, limit)

    monkeypatch.setattr(front_door, "read_capped", spy)
    big = b'{"type":"event_callback","event":{"text":"' + b"x" * 20_000_000 + b'"}}'

    async def chunked():
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    async def scenario(door: Door) -> None:
        started = time.monotonic()
        reply = await door.post(big, {"Content-Type": JSON, "X-Slack-Request-Timestamp": str(NOW)})
        assert reply.status == 413 and time.monotonic() - started < 10
        reply = await door.post(chunked(), {"Content-Type": JSON})  # no Content-Length at all
        assert reply.status == 413
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)
    assert reads == [], "the handler started reading a body it had refused"
    assert all(len(r.getMessage()) < 200 for r in caplog.records)  # nothing like the 10 MB log lines of the audit


def test_the_limit_is_inclusive_and_counts_bytes(slack_api):
    async def scenario(door: Door) -> None:
        challenge = {"type": "url_verification", "challenge": "c" * 10}
        raw = json.dumps(challenge)
        exact = raw + " " * (2048 - len(raw))
        assert (await door.post(exact, signed(exact, JSON))).status == 200
        over = exact + " "
        assert (await door.post(over, signed(over, JSON))).status == 413

    run(slack_api, scenario, max_body=2048)


def test_a_lying_content_length_does_not_make_the_door_read_more_than_the_limit():
    """The HTTP parser already stops at Content-Length; the door also stops on its own at max_body + 1 bytes."""

    class Stream:
        def __init__(self, data: bytes) -> None:
            self.data, self.given = data, 0

        async def read(self, n: int = -1) -> bytes:
            chunk = self.data[self.given : self.given + n]
            self.given += len(chunk)
            return chunk

    stream = Stream(b"x" * 50_000)
    headers = {"Content-Length": "10", "Content-Type": JSON}
    request = make_mocked_request("POST", PATH, headers=headers, payload=stream)
    door = SlackFrontDoor(object(), SIGNING_SECRET, clock=lambda: NOW, max_body=1024)
    response = asyncio.run(door.handle(request))
    assert response.status == 413
    assert stream.given <= 1025


def test_a_body_that_never_finishes_arriving_gets_408(slack_api, attacker):
    async def scenario(door: Door) -> None:
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\nContent-Length: 100\r\n\r\n"
        started = time.monotonic()
        answer = await door.raw_socket(head, b'{"type": ', wait=5)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 3
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario, read_timeout=0.3)


# --- malformed bodies -----------------------------------------------------------------------------------------
def deep_payload() -> str:
    return "payload=" + urllib.parse.quote('{"a":' * 100 + "1" + "}" * 100)


MALFORMED = {
    "invalid JSON": (b'{"type": ', JSON, 400),
    "JSON, invalid UTF-8": (b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, 400),
    "JSON list": (b"[]", JSON, 400),
    "JSON string": (b'"event_callback"', JSON, 400),
    "JSON null": (b"null", JSON, 400),
    "JSON nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, JSON, 400),
    "objects nested 100,000 deep": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON, 400),
    "huge integer": (b'{"type": "event_callback", "n": ' + b"9" * 5000 + b"}", JSON, 400),
    "empty JSON": (b"", JSON, 400),
    "url_verification without a challenge": (b'{"type": "url_verification"}', JSON, 400),
    "form, invalid UTF-8": (b"command=%2Fphysio-career&text=\xff\xfe", FORM, 400),
    "form, invalid UTF-8 when decoded": (b"command=%2Fphysio-career&text=%FF%FE", FORM, 400),
    "100,000-field form": (b"&".join(b"f%d=1" % i for i in range(100_000)), FORM, 400),
    "payload=null": (b"payload=null", FORM, 400),
    "payload is a list": (b"payload=%5B1%5D", FORM, 400),
    "payload is a string": (b"payload=%22block_actions%22", FORM, 400),
    "payload is not JSON": (b"payload=%7B%22type%22%3A", FORM, 400),
    "payload is empty": (b"payload=", FORM, 400),
    "payload nested too deep": (deep_payload().encode(), FORM, 400),
    "text/plain": (b'{"type": "event_callback"}', "text/plain", 415),
    "multipart": (b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", 415),
    "no content type": (b'{"type": "event_callback"}', None, 415),
    "JSON in latin-1": (b'{"type": "event_callback"}', "application/json; charset=latin-1", 415),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_bodies_get_4xx_signed_or_not_and_never_reach_bolt(slack_api, attacker, caplog, name):
    caplog.set_level(logging.DEBUG)
    raw, content_type, status = MALFORMED[name]

    async def scenario(door: Door) -> None:
        reply = await door.post(raw, signed(raw, content_type))
        assert reply.status == status, (name, reply.status, reply.body)
        assert b"Traceback" not in reply.body and len(reply.body) < 100
        unsigned = {"Content-Type": content_type} if content_type else {}
        reply = await door.post(raw, {**unsigned, "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"})
        assert reply.status == 401
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(front_door_lines(caplog)) == 2


def test_wrong_method_on_the_events_path_is_405(slack_api):
    async def scenario(door: Door) -> None:
        async with door.client.get(PATH) as resp:
            assert resp.status == 405

    run(slack_api, scenario)


# --- slash commands that merely mention "payload" --------------------------------------------------------------
COMMAND_TEXTS = [
    "what is a payload in my band 4 job",
    "payload=",
    'payload={"type":"block_actions"}',
    "{",
    "&",
    "=",
    "%",
    "%7B",
    "🦴 band 4 💪 :muscle:",
    "",
]


@pytest.mark.parametrize("process_before_response", [True, False], ids=["process-first", "ack-first"])
def test_commands_mentioning_payload_are_answered_by_the_command_listener(slack_api, process_before_response):
    async def scenario(door: Door) -> None:
        for text in COMMAND_TEXTS:
            reply = await door.send(Wire.form(command_fields(text, hooks_base=slack_api.url)))
            assert reply.status == 200, (text, reply.body)
            assert reply.json()["text"] == text
        assert [c["text"] for c in door.seen.commands] == COMMAND_TEXTS

    run(slack_api, scenario, process_before_response=process_before_response)
    assert slack_api.calls_to("hooks") == []  # every answer travelled in the acknowledgement itself


@pytest.mark.parametrize(
    "changes",
    [
        {"channel_name": "payload-team"},
        {"team_domain": "payload-team"},
        {"user_name": "payload"},
        {"payload": '{"type": "block_actions"}'},  # a field named payload, but a command: still a command
    ],
    ids=["channel_name", "team_domain", "user_name", "payload-field"],
)
def test_commands_from_payload_named_places_are_commands(slack_api, changes):
    async def scenario(door: Door) -> None:
        fields = {**command_fields("band 5", hooks_base=slack_api.url), **changes}
        reply = await door.send(Wire.form(fields))
        assert reply.status == 200 and reply.json()["text"] == "band 5"
        (command,) = door.seen.commands
        for name, value in changes.items():
            assert command[name] == value

    run(slack_api, scenario)


def test_a_lazy_listener_gets_the_parsed_command_and_the_verified_context(slack_api):
    async def scenario(door: Door) -> None:
        fields = {**command_fields("what is a payload", hooks_base=slack_api.url), "command": "/physio-career-lazy"}
        assert (await door.send(Wire.form(fields))).status == 200
        for _ in range(100):
            if door.seen.lazy:
                break
            await asyncio.sleep(0.02)
        (lazy,) = door.seen.lazy
        assert lazy["text"] == "what is a payload" and lazy["verified"] is True

    run(slack_api, scenario)


def test_bolts_internal_lazy_headers_are_dropped(slack_api):
    """Headers are not signed: `X-Slack-Bolt-Lazy-Only` on a replayed command must not skip its ack."""

    async def scenario(door: Door) -> None:
        wire = Wire.form(command_fields("band 5", hooks_base=slack_api.url))
        headers = {**signed(wire.raw, FORM), "X-Slack-Bolt-Lazy-Only": "1", "X-Slack-Bolt-Lazy-Function-Name": "x"}
        reply = await door.post(wire.raw, headers)
        assert reply.status == 200 and reply.json()["text"] == "band 5"

    run(slack_api, scenario)


# --- interactivity, events, retries ---------------------------------------------------------------------------
def test_an_interactivity_payload_reaches_the_action_listener(slack_api):
    async def scenario(door: Door) -> None:
        reply = await door.send(Wire.interactive(click_payload(slack_api.url)))
        assert reply.status == 200
        assert door.seen.actions == ["band6-interview"]
        assert door.seen.commands == []

    run(slack_api, scenario)
    (hook,) = slack_api.calls_to("hooks")
    assert hook.body["text"] == "Here is that topic."


def test_events_are_acknowledged_at_once_and_handled_afterwards(slack_api):
    async def scenario(door: Door) -> None:
        assert door.gate is not None
        reply = await door.send(Wire.event(mention_event("<@U0002> band 5")))
        assert reply.status == 200 and reply.body == b""  # the listener is still waiting on the gate
        assert door.seen.mentions == ["<@U0002> band 5"]
        assert slack_api.calls_to("chat.postMessage") == []
        door.gate.set()
        calls = await asyncio.to_thread(slack_api.wait_for, "chat.postMessage", 1, 5.0)
        assert calls and calls[0].body["thread_ts"] == "1718000000.000100"

    run(slack_api, scenario, process_before_response=False, gated=True)


def test_retry_headers_reach_bolt_and_the_context_says_verified(slack_api):
    async def scenario(door: Door) -> None:
        wire = Wire.event(mention_event("<@U0002> band 5"))
        headers = {**signed(wire.raw, JSON), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await door.post(wire.raw, headers)).status == 200
        assert door.seen.retry_headers == [["1"]]
        assert door.seen.contexts[0]["verified"] is True
        assert door.seen.dispatched[0].mode == "socket_mode" and door.seen.dispatched[0].raw_body == ""

    run(slack_api, scenario)


# --- Slack's housekeeping -------------------------------------------------------------------------------------
def test_url_verification_gets_the_challenge(slack_api, attacker):
    async def scenario(door: Door) -> None:
        raw = json.dumps(load_json("url_verification.json"))
        reply = await door.post(raw, signed(raw, JSON))
        assert reply.status == 200
        assert reply.json() == {"challenge": load_json("url_verification.json")["challenge"]}
        assert reply.headers["Content-Type"].startswith("application/json")
        assert (await door.post(raw, {"Content-Type": JSON})).status == 401
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)


def test_ssl_check_gets_a_bare_200_and_nothing_else(slack_api, attacker):
    async def scenario(door: Door) -> None:
        for raw in ("token=FAKEVERIFICATIONTOKEN0001&ssl_check=1", "ssl_check=1&command=%2Fphysio-career&text=x"):
            reply = await door.post(raw, signed(raw, FORM))
            assert reply.status == 200 and reply.body == b""
            assert (await door.post(raw, {"Content-Type": FORM})).status == 401
        await asyncio.sleep(0.1)
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)


def test_app_rate_limited_is_acknowledged_with_one_warning(slack_api, attacker, caplog):
    caplog.set_level(logging.DEBUG)
    envelope = {
        "token": "FAKEVERIFICATIONTOKEN0001",
        "type": "app_rate_limited",
        "team_id": "T0001",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0001",
    }

    async def scenario(door: Door) -> None:
        reply = await door.send(Wire.event(envelope))
        assert reply.status == 200 and reply.body == b""
        assert_nothing_happened(door, slack_api, attacker)

    run(slack_api, scenario)
    warnings = [r for r in front_door_lines(caplog) if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "T0001" in warnings[0].getMessage()
    assert "FAKEVERIFICATIONTOKEN0001" not in caplog.text


# --- the error guard ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("process_before_response", [True, False], ids=["process-first", "ack-first"])
def test_a_failing_command_is_apologised_for_in_its_answer(slack_api, process_before_response):
    async def scenario(door: Door) -> None:
        reply = await door.send(Wire.form(command_fields("boom", hooks_base=slack_api.url)))
        assert reply.status == 200
        assert reply.json() == {"response_type": "ephemeral", **APOLOGY}

    run(slack_api, scenario, process_before_response=process_before_response)
    assert slack_api.calls_to("hooks") == []


def test_a_failing_click_is_apologised_for_through_its_response_url(slack_api):
    async def scenario(door: Door) -> None:
        assert (await door.send(Wire.interactive(click_payload(slack_api.url, "boom")))).status == 200

    run(slack_api, scenario)
    (hook,) = slack_api.calls_to("hooks")
    assert hook.body["text"] == APOLOGY["text"] and hook.body["response_type"] == "ephemeral"


def test_the_error_guard_does_nothing_for_a_request_that_was_not_verified(slack_api, attacker):
    """Something that reaches Bolt by another road (no `verified` in the context) gets no apology anywhere."""

    async def scenario(door: Door) -> None:
        click, dm = forged_requests(attacker)
        payload = json.loads(urllib.parse.unquote(click.raw[len("payload=") :]))
        payload["actions"][0]["value"] = "boom"
        command = {**command_fields("boom", hooks_base=attacker.url)}
        for body in (payload, json.loads(dm.raw), command):
            response = await door.app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
            assert APOLOGY["text"] not in response.body
        await asyncio.sleep(0.2)

    run(slack_api, scenario, process_before_response=True)
    assert attacker.calls == []
    assert [c.path for c in slack_api.calls] == ["/api/auth.test"]  # Bolt's authorization; no chat.* call


def test_a_failing_event_is_apologised_for_privately(slack_api):
    async def scenario(door: Door) -> None:
        dm = load_json("message_im.json")
        dm["event"]["text"] = "boom"
        assert (await door.send(Wire.event(dm))).status == 200
        install_error_guard(door.app, apology="Oops, my fault.")  # a text of the app's own instead
        assert (await door.send(Wire.event(mention_event("boom")))).status == 200

    run(slack_api, scenario)
    in_dm, in_channel = slack_api.calls_to("chat.postEphemeral")
    assert in_dm.body["channel"] == "D0001" and in_dm.body["user"] == "U0001" and "thread_ts" not in in_dm.body
    assert in_dm.body["text"] == APOLOGY["text"]
    assert in_channel.body["channel"] == "C0001" and in_channel.body["thread_ts"] == "1718000000.000100"
    assert in_channel.body["text"] == "Oops, my fault."
    assert slack_api.calls_to("chat.postMessage") == []


# --- logs -----------------------------------------------------------------------------------------------------
def test_logs_never_hold_bodies_texts_user_ids_or_secrets(slack_api, attacker, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario(door: Door) -> None:
        private = {"text": PRIVATE_TEXT, "user_id": PRIVATE_USER}
        command = Wire.form({**command_fields(PRIVATE_TEXT, hooks_base=slack_api.url), **private})
        event = load_json("message_im.json")
        event["event"].update(text=PRIVATE_TEXT, user=PRIVATE_USER)
        click = click_payload(attacker.url)
        click["user"]["id"] = PRIVATE_USER
        click["response_url"] = attacker.url + "/hooks/" + PRIVATE_TEXT.replace(" ", "-")
        wires = [command, Wire.event(event), Wire.interactive(click)]
        for wire in wires:  # refused: a wrong secret, a malformed timestamp, an unsigned body
            assert (await door.send(wire, secret="rotated-secret")).status == 401
            assert (await door.send(wire, ts="1.5")).status == 401
            assert (await door.post(wire.raw, {"Content-Type": wire.content_type})).status == 401
        reply = await door.send(command)  # accepted: Bolt logs its answers at DEBUG, with the text in them
        assert reply.status == 200 and reply.json()["text"] == PRIVATE_TEXT
        assert (await door.send(Wire.event(event))).status == 200
        unverified = await door.app.async_dispatch(AsyncBoltRequest(body=event, mode="socket_mode"))
        assert unverified.status == 200

    run(slack_api, scenario)
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for secret in (PRIVATE_TEXT, "jane.doe", PRIVATE_USER, BOT_TOKEN, SIGNING_SECRET, "FAKEVERIFICATIONTOKEN0001"):
        assert secret not in logged, secret
    assert len(front_door_lines(caplog)) == 9
    assert any("body not logged" in r.getMessage() for r in caplog.records)  # Bolt's answer line, rewritten
