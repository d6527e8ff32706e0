"""Button clicks. Each answers where it was clicked: an ephemeral answer with another ephemeral one
(`respond()`), a DM in the DM, a thread in the thread, a channel message in a thread under it, and the App
Home tab by re-publishing Home.

Every button carries its entry (or topic) and the recorder's reference of the question it follows
(`bot.slack.ids.pack`), so feedback and choices are tied to the question that led to them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.brain.matcher import FALLBACK, Match
from bot.brain.reply import Reply
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.deps import Deps

log = logging.getLogger(__name__)

# Errors that mean "the bot cannot post in that conversation": tell the member rather than fail.
CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}
GONE = "Sorry, that question is no longer in my knowledge base. Please ask me in your own words."


def _user(body: dict) -> str | None:
    return (body.get("user") or {}).get("id")


def _on_home(body: dict) -> bool:
    return (body.get("container") or {}).get("type") == "view"


def _is_ephemeral(body: dict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def answer_in_place(body: dict, respond: Respond | None, client: WebClient, message: dict[str, Any]) -> None:
    """Post `message` where the clicked button was (a click on the Home tab re-publishes Home instead)."""
    container = body.get("container") or {}
    if container.get("is_ephemeral"):
        if respond is None:  # pragma: no cover - Slack always sends a response_url with ephemeral clicks
            raise RuntimeError("an ephemeral click without a response_url")
        respond(replace_original=False, response_type="ephemeral", **message, **render.NO_UNFURL)
        return
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    clicked = body.get("message") or {}
    thread_ts = clicked.get("thread_ts")
    if thread_ts is None and not str(channel).startswith("D"):
        # in a channel, answer in a thread under the message rather than adding to the channel
        thread_ts = clicked.get("ts") or container.get("message_ts")
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message, **render.NO_UNFURL)


def register(app: App, deps: Deps) -> None:
    def publish_home(body: dict, client: WebClient, **view_args: Any) -> None:
        view = render.home_view(deps.answerer.topics(), deps.notices(), **view_args)
        client.views_publish(user_id=_user(body), view=view)

    def show_entry(body: dict, respond: Respond | None, client: WebClient, entry_id: str | None) -> None:
        reply = deps.entry_reply(entry_id or "")
        if reply is None:
            if _on_home(body):
                publish_home(body, client)
            else:
                answer_in_place(body, respond, client, render.notice_message(GONE))
            return
        ref = deps.recorder.record_question("button", reply.title, reply, user_id=_user(body))
        if _on_home(body):
            publish_home(body, client, reply=reply, ref=ref)
        else:
            answer_in_place(body, respond, client, render.reply_message(reply, ref=ref, share=_is_ephemeral(body)))

    def handle_ask(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        """A related question."""
        ack()
        show_entry(body, respond, client, ids.unpack(action.get("value")).get("e"))

    def handle_choose(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        """A "Did you mean" candidate or a question of a topic: recorded as the member's choice."""
        ack()
        data = ids.unpack(action.get("value"))
        if data.get("e") and data.get("r"):
            deps.recorder.record_choice(data["r"], data["e"], user_id=_user(body))
        show_entry(body, respond, client, data.get("e"))

    def handle_none(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        ref = ids.unpack(action.get("value")).get("r")
        if ref:
            deps.recorder.record_choice(ref, ids.NONE_CHOICE, user_id=_user(body))
        reply: Reply = deps.answerer.fallback(Match(FALLBACK, None, 0, ()), today=deps.today())
        answer_in_place(body, respond, client, render.reply_message(reply, ref=ref))

    def handle_topic(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        data = ids.unpack(action.get("value"))
        topic = deps.topic(data.get("t") or "")
        if _on_home(body):
            publish_home(body, client, topic=topic)
        elif topic is None:
            answer_in_place(body, respond, client, render.notice_message(GONE))
        else:
            answer_in_place(body, respond, client, render.topic_message(topic, deps.notices(), ref=data.get("r")))

    def feedback(helpful: bool):
        def handle_feedback(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
            ack()
            data = ids.unpack(action.get("value"))
            entry_id = data.get("e")
            if not entry_id:
                return
            deps.recorder.record_feedback(data.get("r"), entry_id, helpful, user_id=_user(body))
            thanks = render.thanks_message(helpful)
            if _on_home(body):
                reply = deps.entry_reply(entry_id)
                publish_home(body, client, reply=reply, ref=data.get("r"), thanks=helpful)
            elif _is_ephemeral(body):
                respond(replace_original=False, response_type="ephemeral", **thanks)
            else:
                # only the member who clicked sees the thanks; others can still give their own feedback
                container = body.get("container") or {}
                client.chat_postEphemeral(
                    channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                    user=_user(body),
                    thread_ts=(body.get("message") or {}).get("thread_ts"),
                    **thanks,
                )

        handle_feedback.__name__ = f"handle_feedback_{'up' if helpful else 'down'}"
        return handle_feedback

    def handle_share(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        """Re-post an ephemeral answer in the channel, as the bot, saying who shared it."""
        ack()
        reply = deps.entry_reply(ids.unpack(action.get("value")).get("e") or "")
        if reply is None:
            respond(replace_original=False, response_type="ephemeral", **render.notice_message(GONE))
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = render.reply_message(reply, shared_by=_user(body), feedback=False)
        try:
            client.chat_postMessage(channel=channel, **message, **render.NO_UNFURL)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error not in CANNOT_POST:
                raise
            log.info("could not share an answer in %s: %s", channel, error)
            respond(replace_original=False, response_type="ephemeral", **render.notice_message(render.NOT_IN_CHANNEL))

    def handle_link(ack: Ack) -> None:
        """Slack opens a link button's URL itself; the click still comes to us and must be acknowledged."""
        ack()

    app.action(ids.pattern(ids.ACTION_ASK))(handle_ask)
    app.action(ids.pattern(ids.ACTION_CHOOSE))(handle_choose)
    app.action(ids.pattern(ids.ACTION_NONE))(handle_none)
    app.action(ids.pattern(ids.ACTION_TOPIC))(handle_topic)
    app.action(ids.pattern(ids.ACTION_FEEDBACK_UP))(feedback(True))
    app.action(ids.pattern(ids.ACTION_FEEDBACK_DOWN))(feedback(False))
    app.action(ids.pattern(ids.ACTION_SHARE))(handle_share)
    app.action(ids.pattern(ids.ACTION_LINK))(handle_link)

    def handle_unknown_action(ack: Ack, action: dict) -> None:
        """A button this version does not know (an old message): acknowledge it, so Slack shows no error."""
        ack()
        log.info("ignored a click on an unknown button %s", str(action.get("action_id"))[:80])

    app.action(re.compile(r".*"))(handle_unknown_action)  # last: the specific listeners above win
