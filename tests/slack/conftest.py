"""Fixtures for the Slack tests: the Web API stand-in, settings pointing at it, and the real app built on it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from slack_bolt import App, BoltResponse

from bot.config import Settings
from bot.slack.app import create_app
from tests.slack.fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    RecordingRecorder,
    SlackApiStandIn,
    Wire,
    call_problems,
    command_fields,
    message_problems,
)

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


class Traffic:
    """Sends signed Slack requests through `app.dispatch` and reads what the app sent to the stand-in."""

    def __init__(self, app: App, api: SlackApiStandIn):
        self.app = app
        self.api = api

    def send(self, wire: Wire, **kwargs: Any) -> BoltResponse:
        response = self.app.dispatch(wire.request(**kwargs))
        if response.status == 200 and response.body.startswith("{") and "blocks" in response.body:
            problems = message_problems(json.loads(response.body))  # a command's answer travels in the ack
            assert not problems, problems
        return response

    def command(self, text: str, *, user: str = "U0001", channel: str = "C0001", **kwargs: Any) -> BoltResponse:
        return self.send(Wire.form(command_fields(text, user=user, channel=channel, hooks_base=self.api.url)), **kwargs)

    def event(self, envelope: dict, **kwargs: Any) -> BoltResponse:
        return self.send(Wire.event(envelope), **kwargs)

    def action(self, payload: dict, **kwargs: Any) -> BoltResponse:
        return self.send(Wire.interactive(payload), **kwargs)

    @staticmethod
    def json(response: BoltResponse) -> dict:
        return json.loads(response.body)


@pytest.fixture
def make_app(settings, kb, answerer, recorder, slack_api) -> Callable[..., App]:
    """Build the real app against the stand-in; listeners finish before dispatch returns."""

    def build(**overrides: Any) -> App:
        app_settings = overrides.pop("settings", settings)
        options: dict[str, Any] = {
            "recorder": recorder,
            "answerer": answerer,
            "process_before_response": True,
            "today": lambda: OUTSIDE_NOTICES,
        }
        options.update(overrides)
        return create_app(app_settings, kb, **options)

    return build


@pytest.fixture
def slack(make_app, slack_api) -> Traffic:
    traffic = Traffic(make_app(), slack_api)
    return traffic
