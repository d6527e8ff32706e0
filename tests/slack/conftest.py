"""Fixtures for the Slack tests: the Web API stand-in, settings pointing at it, and the real app built on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.conversation import Assistant
from bot.slack.app import create_app
from bot.slack.front_door import SlackFrontDoor
from tests.slack.fakes import RecordingRecorder
from tests.slack.stand_ins.web_api import BOT_TOKEN, SlackApiStandIn
from tests.slack.stand_ins.wire import SIGNING_SECRET, Wire, call_problems, command_fields, message_problems

ADMIN = "U0ADMIN"
OUTSIDE_NOTICES = dt.date(2026, 6, 15)
INSIDE_NOTICES = dt.date(2026, 12, 28)


# Questions that should make the bot ask "Did you mean...", fall back, or decline. The matcher is tuned as the
# knowledge base grows, so the tests ask the brain which one currently does it instead of hard-coding one.
PHRASINGS = {
    "clarify": (
        "band",
        "what dose a band 3 or 4 do",
        "band 3 or band 4",
        "apprenticeship level",
        "tell me about bands",
    ),
    "fallback": ("asdkjh qwe zzqx", "zzqx vlorp", "what is the capital of peru"),
    "declined": ("can you diagnose my patient", "which exercises should my patient do for back pain"),
}


def question_for(answerer, outcome: str) -> str:
    """A question the current brain answers with `outcome` (clarify, fallback or declined)."""
    for question in PHRASINGS[outcome]:
        reply = answerer.reply(question)
        if outcome == "declined" and reply.declined:
            return question
        if reply.outcome == outcome and not reply.declined:
            return question
    raise AssertionError(f"none of {PHRASINGS[outcome]} gives {outcome} any more; add a phrasing that does")


@pytest.fixture
def slack_api():
    """The Web API stand-in. At the end of each test, every message and view the app sent is checked against
    Slack's Block Kit limits, so no test can pass while the app sends something Slack would reject."""
    api = SlackApiStandIn()
    yield api
    api.close()
    problems = [f"{c.path}: {p}" for c in api.calls for p in call_problems(c)]
    assert not problems, problems


@pytest.fixture
def settings(slack_api) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.api_url,
        "ADMIN_USER_IDS": ADMIN,
    }
    return Settings.from_env(env, mode="http")


@pytest.fixture
def recorder() -> RecordingRecorder:
    return RecordingRecorder()


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]


class Traffic:
    """Sends signed Slack requests over HTTP to the real front door and app (an aiohttp server on loopback),
    and reads what the app sent to the stand-in."""

    def __init__(self, app: AsyncApp, api: SlackApiStandIn):
        self.app = app
        self.api = api
        # the server's event loop runs in its own thread, as in production: work the app starts after its
        # acknowledgement (process_before_response=False) carries on between requests
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        web_app = web.Application()
        SlackFrontDoor(app, SIGNING_SECRET).add_routes(web_app, "/slack/events")

        async def start() -> TestClient:
            client = TestClient(TestServer(web_app))
            await client.start_server()
            return client

        self.client = self.run(start())

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def post(self, raw: str | bytes, headers: dict[str, str]) -> Response:
        async def go() -> Response:
            async with self.client.post("/slack/events", data=raw, headers=headers) as r:
                return Response(r.status, await r.text(), dict(r.headers))

        return self.run(go())

    def dispatch(self, request: Any) -> Any:
        """Straight into the app, as the Socket Mode handler does."""
        return self.run(self.app.async_dispatch(request))

    def send(self, wire: Wire, **kwargs: Any) -> Response:
        request = wire.request(**kwargs)
        headers = {k: v[0] for k, v in request.headers.items()}
        response = self.post(wire.raw, headers)
        if response.status == 200 and response.body.startswith("{") and "blocks" in response.body:
            problems = message_problems(json.loads(response.body))  # a command's answer travels in the ack
            assert not problems, problems
        return response

    def command(self, text: str, *, user: str = "U0001", channel: str = "C0001", **kwargs: Any) -> Response:
        return self.send(Wire.form(command_fields(text, user=user, channel=channel, hooks_base=self.api.url)), **kwargs)

    def event(self, envelope: dict, **kwargs: Any) -> Response:
        return self.send(Wire.event(envelope), **kwargs)

    def action(self, payload: dict, **kwargs: Any) -> Response:
        return self.send(Wire.interactive(payload), **kwargs)

    @staticmethod
    def json(response: Response) -> dict:
        return json.loads(response.body)


@pytest.fixture
def make_app(settings, kb, answerer, recorder, slack_api) -> Callable[..., AsyncApp]:
    """Build the real app against the stand-in; listeners finish before dispatch returns."""

    def build(**overrides: Any) -> AsyncApp:
        app_settings = overrides.pop("settings", settings)
        today = overrides.pop("today", lambda: OUTSIDE_NOTICES)
        assistant = Assistant(overrides.pop("answerer", answerer), overrides.pop("recorder", recorder), today=today)
        client = overrides.pop("client", None) or AsyncWebClient(
            token=app_settings.slack.bot_token, base_url=app_settings.slack.api_url
        )
        options: dict[str, Any] = {
            "admin_user_ids": app_settings.admin_user_ids,
            "process_before_response": True,
        }
        options.update(overrides)
        return create_app(app_settings.slack, assistant, client, **options)

    return build


@pytest.fixture
def slack(make_app, slack_api) -> Traffic:
    traffic = Traffic(make_app(), slack_api)
    yield traffic
    traffic.close()
