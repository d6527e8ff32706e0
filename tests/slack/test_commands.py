"""`/physio-career`: signed slash commands through the real app; the answer travels in the acknowledgement."""

from __future__ import annotations

import json
import time

from bot.slack import blocks as render
from bot.slack import ids
from tests.slack.conftest import ADMIN
from tests.slack.stand_ins.wire import Wire, click, find_button, load_raw


def section_text(body: dict) -> str:
    return json.dumps(body["blocks"])


def test_the_payload_file_gets_an_ephemeral_answer_in_the_ack(slack, recorder, kb):
    response = slack.send(Wire(load_raw("slash_command.txt"), "application/x-www-form-urlencoded"))
    assert response.status == 200
    body = slack.json(response)
    assert body["response_type"] == "ephemeral" and body["unfurl_links"] is False
    title = kb.by_id["band-5-support-roles"].question
    assert body["blocks"][0]["text"]["text"] == title
    assert body["text"].startswith(title)
    assert find_button(body["blocks"], ids.ACTION_SHARE)
    assert find_button(body["blocks"], ids.ACTION_FEEDBACK_UP)
    assert {"type": "plain_text", "text": "You asked: band5", "emoji": False} in [
        e for b in body["blocks"] if b["block_id"] == ids.BLOCK_ASKED for e in b["elements"]
    ]
    assert slack.api.outbound() == []  # nothing else sent: the answer was the HTTP response
    assert recorder.questions == [("command", "band5", "band-5-support-roles", "U0001")]


def test_command_answer_is_fast(slack):
    started = time.perf_counter()
    response = slack.command("how do I become a physio")
    assert response.status == 200 and time.perf_counter() - started < 1.0


def test_empty_command_and_help_explain_how_to_ask(slack, answerer):
    for text in ("", "help", "  HELP "):
        body = slack.json(slack.command(text))
        assert body["response_type"] == "ephemeral"
        assert body["blocks"][0]["text"]["text"] == "How to ask physio-career"
        assert "`band5`" in section_text(body)
        topics = [b for b in body["blocks"] if b["block_id"] == ids.BLOCK_TOPICS][0]["elements"]
        assert [t["text"]["text"] for t in topics] == [t.title for t in answerer.topics()]


def test_share_in_channel_reposts_as_the_bot_saying_who_shared(slack, recorder):
    answer = slack.json(slack.command("band5"))
    button, block = find_button(answer["blocks"], ids.ACTION_SHARE)
    response = slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    assert response.status == 200
    posted = slack.api.last("chat.postMessage")
    assert posted.body["channel"] == "C0001"
    assert "thread_ts" not in posted.body
    assert posted.blocks[0]["text"]["text"] == answer["blocks"][0]["text"]["text"]
    assert "Shared by <@U0001>" in json.dumps(posted.blocks) and posted.body["text"].startswith("Shared by <@U0001>")
    assert ids.ACTION_FEEDBACK_UP not in json.dumps(posted.blocks)
    assert slack.api.calls_to("hooks") == []


def test_share_where_the_bot_is_not_a_member_explains_instead_of_failing(slack, caplog):
    slack.api.fail("chat.postMessage", error="not_in_channel")
    answer = slack.json(slack.command("band5"))
    button, block = find_button(answer["blocks"], ids.ACTION_SHARE)
    response = slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    assert response.status == 200
    hook = slack.api.last("hooks")
    assert hook.body["response_type"] == "ephemeral" and hook.body["replace_original"] is False
    assert "/invite @physio-career" in hook.body["text"]
    assert "Traceback" not in caplog.text


def test_report_only_for_admins(make_app, slack_api):
    asked = []

    def reporter() -> str:
        asked.append(1)
        return "Questions in the last 30 days: 12\nUnanswered: <!channel> 3"

    from tests.slack.conftest import Traffic

    slack = Traffic(make_app(reporter=reporter), slack_api)
    refused = slack.json(slack.command("report", user="U0001"))
    assert refused["response_type"] == "ephemeral" and refused["text"] == render.REPORT_REFUSED
    assert asked == []
    report = slack.json(slack.command("report", user=ADMIN))
    assert report["response_type"] == "ephemeral"
    assert "Questions in the last 30 days: 12" in json.dumps(report)
    assert "<!channel>" not in json.dumps(report)
    assert asked == [1]


def test_report_without_a_database_or_when_it_fails(make_app, slack_api):
    from tests.slack.conftest import Traffic

    unavailable = Traffic(make_app(reporter=None), slack_api)
    assert unavailable.json(unavailable.command("report", user=ADMIN))["text"] == render.REPORT_UNAVAILABLE

    def broken() -> str:
        raise RuntimeError("database is down")

    failing = Traffic(make_app(reporter=broken), slack_api)
    assert failing.json(failing.command("report", user=ADMIN))["text"] == render.REPORT_FAILED


def test_a_command_that_fails_gets_an_apology_not_a_timeout(make_app, slack_api, kb, caplog):
    """Fault injection at the brain's boundary: whatever breaks, the member hears back and it is logged."""
    from bot.brain.reply import Answerer
    from tests.slack.conftest import Traffic

    class Exploding(Answerer):
        def understand(self, question):
            raise RuntimeError("boom")

    slack = Traffic(make_app(answerer=Exploding(kb)), slack_api)
    response = slack.command("band5")
    assert response.status == 200
    assert slack.json(response) == {"response_type": "ephemeral", **render.notice_message(render.APOLOGY)}
    assert "could not handle a Slack slash command" in caplog.text and "boom" in caplog.text


def test_a_burst_of_first_requests_makes_one_auth_test(make_app, slack_api):
    """Bolt authorizes with auth.test and keeps the answer; requests that arrive before it has one wait for the
    call in flight rather than each making its own."""
    import asyncio

    from tests.slack.conftest import Traffic
    from tests.slack.stand_ins.wire import command_fields

    slack = Traffic(make_app(process_before_response=False), slack_api)
    try:

        async def ask(i: int) -> tuple[int, dict]:
            wire = Wire.form(command_fields(f"band{3 + i % 3}", user=f"U00{i:02d}", hooks_base=slack_api.url))
            request = wire.request()
            headers = {k: v[0] for k, v in request.headers.items()}
            async with slack.client.post("/slack/events", data=wire.raw, headers=headers) as r:
                return r.status, json.loads(await r.text())

        async def burst() -> list[tuple[int, dict]]:
            return await asyncio.gather(*(ask(i) for i in range(12)))

        answers = slack.run(burst())
    finally:
        slack.close()
    assert all(status == 200 and body["response_type"] == "ephemeral" for status, body in answers)
    assert len(slack_api.calls_to("auth.test")) == 1
