"""Several processes, one database: the de-duplication store and the curators' log are shared.

Two apps built separately, each with its own database-backed recorder on one SQLite file, stand for two
processes (separate connections, nothing shared in memory); the real multi-worker server is covered in
test_server.py."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.slack.conftest import ADMIN, Traffic, question_for
from tests.slack.stand_ins.wire import dm_event

storage = pytest.importorskip("bot.curators_log")


@pytest.fixture
def db_settings(settings, tmp_path):
    return dataclasses.replace(settings, database_url=f"sqlite:///{tmp_path / 'shared.sqlite3'}")


@pytest.fixture
def recorders(db_settings):
    opened = [storage.open_recorder(db_settings), storage.open_recorder(db_settings)]
    yield opened
    for recorder in opened:
        recorder.close()


def test_a_retry_landing_on_another_process_is_not_answered_again(make_app, slack_api, recorders):
    first, second = (Traffic(make_app(recorder=r), slack_api) for r in recorders)
    envelope = dm_event("band5", event_id="Ev0700SHARED")
    assert first.event(envelope).status == 200
    assert (
        second.event(envelope, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    )
    assert (
        first.event(envelope, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    )
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_an_unanswered_question_reaches_the_curators_report(make_app, slack_api, recorders, answerer):
    recorder = recorders[0]
    slack = Traffic(make_app(recorder=recorder, reporter=lambda: recorder.report_text(since="30d")), slack_api)
    unknown = question_for(answerer, "fallback")
    slack.event(dm_event(unknown))
    recorder.flush()
    report = json.loads(slack.command("report", user=ADMIN).body)
    assert report["response_type"] == "ephemeral"
    assert unknown in json.dumps(report)
