"""What each kind of Teams activity gets, over the conversation core. Handlers are thin: they turn the activity
into plain text and a `Member`, ask the core (always in a worker thread, since it may touch the database) and
render its `Reply` as an Adaptive Card (`bot.teams.cards`).

- A message in a personal chat is answered; in a channel or group chat only when it @mentions the bot (Teams
  delivers only those, unless the app is granted more), with every `<at>…</at>` removed first. The reply is a
  reply to the activity, so in a channel it lands in the same thread. `help` or nothing gets the welcome card.
- `report` is for the curators in `TEAMS_ADMIN_AAD_IDS`, in a personal chat only (a channel has no private
  answers); anyone else gets the same refusal as in Slack.
- The bot added to a chat or a team (`conversationUpdate` with the bot among `membersAdded`): one welcome card.
- A card click: an `Action.Submit` arrives as a message with a `value` (no text) and gets a new card; an
  `Action.Execute` arrives as an `adaptiveCard/action` invoke and always gets an invoke response (otherwise Teams
  shows an error on the card): 👍/👎 refresh the clicked card with a thank-you. Every action's data is checked
  by the core's codec (`unpack`); anything else gets a polite reply and nothing is stored.
- Teams sends an activity again when it saw no answer within about 15 s: each message is claimed once in the
  curators' log's event ledger (shared by every process), so a resent copy gets no second reply. A resent
  invoke still gets its response (the HTTP body is the answer), but its feedback is stored once.
- The career planner: `plan` in a personal chat (or @mention + plan elsewhere), or "Plan my next step" under a
  career answer, gets its first question as a card; each answer (an `Action.Submit` carrying the answers so far,
  checked by the planner's codec) gets the next question or the plan as a new card. Nothing about the answers
  is stored or logged: only the planner's own count of a finished plan (its pathway and nation).
- "Not what I asked" records a flag for the curators and shows the next best entries as a did-you-mean card.
- "Ask a person" (with `TEAMS_ESCALATION_CHANNEL` set; without it the button is not shown) is offered when the
  bot could not answer and after "Not what I asked". It shows what would be posted, and the member chooses to
  send it without their name (the default) or with it: nothing is posted before that click. The bot starts a new
  thread in the help channel with the question, tells the member, and keeps (for two weeks, in the curators'
  log, under the thread) the conversation the member asked from. A person who replies in that thread with an
  @mention of the bot (Teams delivers nothing else) gets their reply passed on to that conversation, and a
  thank-you in the thread. Both posts go through the Bot Connector of the turn in hand (one tenant, one service
  URL), so they are checked and authenticated like every reply.

Routes use the SDK's `AgentApplication` selectors. Each matches kinds of activity no other one does, except the
catch-all for quiet activity types, which also matches `membersAdded` and is ranked last, so the SDK's order of
trial never depends on the order of registration.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponseError
from microsoft_agents.activity import Activity, ActivityTypes, ConversationParameters, InvokeResponse
from microsoft_agents.hosting.core import (
    AgentApplication,
    Connections,
    ConnectorClientBase,
    MemoryStorage,
    RouteRank,
    TurnContext,
    TurnState,
)

from bot import wording
from bot.brain.reply import HELP, Reply
from bot.conversation import NONE_OF_THESE, Answered, Assistant, ButtonValue, Member, Surface, unpack
from bot.conversation.planner import Planner, is_plan_request
from bot.conversation.planner import unpack as unpack_plan
from bot.runtime import InFlight, off_loop, run_steps
from bot.teams import cards, ids
from bot.teams.markup import to_plain

log = logging.getLogger(__name__)

REPORT_WORD = "report"
SURFACE: Surface = "teams"
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
PERSONAL = "personal"
REJECTED = "connector_rejected_token"  # what /healthz says after the Bot Connector refused our token


@dataclass
class TeamsContext:
    """What every handler needs, built once by the channel."""

    assistant: Assistant
    admin_aad_ids: frozenset[str] = frozenset()
    reporter: Callable[[], str] | None = None
    inflight: InFlight = field(default_factory=InFlight)
    health: dict[str, str] = field(default_factory=dict)
    escalation_channel: str = ""  # "Ask a person": the help channel's id (TEAMS_ESCALATION_CHANNEL)


# --- reading an activity --------------------------------------------------------------------------------
def member(activity: Activity) -> Member:
    """The core's view of who is asking: the Entra object id (stable across chats) or the Teams user id, and
    the conversation (a personal chat, or a channel thread) that follow-up questions belong to."""
    sender = activity.from_property
    uid = (sender.aad_object_id or sender.id) if sender is not None else None
    conversation = None
    if activity.conversation is not None and activity.conversation.id:
        tenant = activity.conversation.tenant_id or ""
        conversation = f"teams:{str(tenant)[:40]}:{str(activity.conversation.id)[:200]}"
    return Member(id=str(uid)[:100] if uid else None, conversation=conversation)


def conversation_type(activity: Activity) -> str:
    kind = activity.conversation.conversation_type if activity.conversation is not None else None
    return str(kind or PERSONAL)


def addressed(activity: Activity) -> bool:
    """True in a personal chat; elsewhere only when the message mentions the bot itself."""
    if conversation_type(activity) == PERSONAL:
        return True
    bot_id = activity.recipient.id if activity.recipient is not None else None
    if not bot_id:
        return False
    return any(m.mentioned is not None and m.mentioned.id == bot_id for m in activity.get_mentions())


def delivery_key(activity: Activity) -> str | None:
    """The event-ledger key of a delivery: Teams resends with the same activity id. Message ids are timestamps,
    unique within a conversation only, so a short digest of the conversation goes with it."""
    if not activity.id:
        return None
    conversation = activity.conversation.id if activity.conversation is not None else ""
    digest = hashlib.sha256(str(conversation or "").encode("utf-8")).hexdigest()[:16]
    return f"teams:{str(activity.id)[:120]}:{digest}"


def _bot_was_added(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient is not None else None
    return bool(bot_id) and any(m.id == bot_id for m in activity.members_added or [])


THREAD_MARK = ";messageid="


def help_thread(activity: Activity, escalation_channel: str) -> str | None:
    """The help-channel thread a message replies in (its conversation id), or None: not the help channel, or a
    new post there rather than a reply."""
    conversation = str(activity.conversation.id or "") if activity.conversation is not None else ""
    if not escalation_channel or not conversation.startswith(escalation_channel + THREAD_MARK):
        return None
    root = conversation[len(escalation_channel) + len(THREAD_MARK) :]
    return conversation if root and root != activity.id else None


def escalation_key(thread: str) -> str:
    return f"teams:{thread}"


def _click(value: Any) -> tuple[str, Any] | None:
    """(verb, packed value) from an action's data, or None when it is not data we write."""
    if not isinstance(value, dict):
        return None
    verb = value.get(ids.VERB_KEY)
    if not isinstance(verb, str) or verb not in ids.VERBS:
        return None
    return verb, value.get(ids.VALUE_KEY)


# --- sending --------------------------------------------------------------------------------------------
def card_activity(built: cards.Card) -> Activity:
    return Activity.model_validate({"type": ActivityTypes.message, **cards.message(built)})


async def send_card(ctx: TeamsContext, context: TurnContext, built: cards.Card) -> None:
    await context.send_activity(card_activity(built))
    ctx.health.pop("teams", None)


async def send_invoke_response(context: TurnContext, body: dict[str, Any]) -> None:
    """The HTTP answer to an invoke (the adapter returns it as the response body, with status 200)."""
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


def _connector(context: TurnContext) -> ConnectorClientBase | None:
    """The Bot Connector client of the turn (the SDK's, authenticated for the activity's service URL)."""
    # the SDK keys its services by the abstract type it registered the client under
    return context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]


# --- the application ------------------------------------------------------------------------------------
def create_agent(connections: Connections, ctx: TeamsContext) -> AgentApplication[TurnState]:
    """The SDK application with our routes. It keeps no state: every turn gets an empty `TurnState` (what a
    button needs travels in its data), so nothing grows in memory per conversation."""
    app = AgentApplication[TurnState](
        storage=MemoryStorage(),  # required by the SDK even though nothing is stored in it
        connection_manager=connections,
        turn_state_factory=TurnState,
        remove_recipient_mention=False,  # bot.teams.markup removes every mention, ours included
        start_typing_timer=False,  # answers take milliseconds; a typing indicator would only add a post
    )
    register(app, ctx)
    return app


def register(app: AgentApplication[TurnState], ctx: TeamsContext) -> None:
    assistant = ctx.assistant
    planner = Planner(assistant)

    async def claim(activity: Activity) -> bool:
        """True for the first delivery of `activity` (fails open: a rare duplicate beats no answer)."""
        key = delivery_key(activity)
        claim_async = getattr(assistant.recorder, "claim_event_async", None)
        claim_event = getattr(assistant.recorder, "claim_event", None)
        if key is None:
            return True
        try:
            if claim_async is not None:  # the database is asked from a helper thread, nothing else leaves the loop
                return bool(await claim_async(key))
            return True if claim_event is None else bool(await off_loop(claim_event, key))
        except Exception as exc:
            log.warning("could not check a Teams delivery (%s); answering it", type(exc).__name__)
            return True

    async def once(context: TurnContext, state: TurnState) -> bool:
        """Before every turn: a resent message or conversation update is not answered again."""
        activity = context.activity
        if activity.type not in (ActivityTypes.message, ActivityTypes.conversation_update):
            return True
        if await claim(activity):
            return True
        log.info("skipped a repeat delivery of a Teams %s", str(activity.type)[:30])
        return False

    # --- clicks -----------------------------------------------------------------------------------------
    async def navigate(verb: str, value: ButtonValue, who: Member) -> cards.Card:
        """The card a navigation click opens (a related question, a choice, a topic, another nation)."""
        entry = value.entry if value.entry and value.entry != NONE_OF_THESE else None
        answered: Answered | None
        if verb == ids.VERB_TOPIC and value.topic:
            topic = await off_loop(assistant.topic, value.topic)
            if topic is None:
                return cards.notice_card(wording.GONE)
            notices = await off_loop(assistant.notices)
            return cards.topic_card(topic, notices, ref=value.ref)
        if verb == ids.VERB_NONE:
            answered = await off_loop(assistant.none_of_these, value.ref, who)
        elif verb == ids.VERB_ASK and entry:
            answered = await off_loop(assistant.open_entry, entry, SURFACE, who)
        elif verb == ids.VERB_NATION and entry and value.nation:
            answered = await off_loop(assistant.open_entry, entry, SURFACE, who, nation=value.nation)
        elif verb == ids.VERB_CHOOSE and entry:
            answered = await off_loop(assistant.choose, value.ref, entry, SURFACE, who)
        elif verb == ids.VERB_NOT_WHAT_I_ASKED and entry:
            missed = await off_loop(assistant.not_what_i_asked, value.ref, entry, value.others, who)
            if missed is None:
                return cards.notice_card(wording.BAD_BUTTON)
            # the member's words are not in the button: "Ask a person" here asks about the answer that missed
            question = assistant.kb.by_id[entry].question if ctx.escalation_channel else None
            return cards.reply_card(missed, ref=value.ref, person_question=question)
        else:
            return cards.notice_card(wording.BAD_BUTTON)
        if answered is None:
            return cards.notice_card(wording.GONE)
        return cards.reply_card(answered.reply, ref=answered.ref)

    async def feedback(helpful: bool, value: ButtonValue, who: Member, first: bool) -> Reply | None:
        """Record 👍/👎 (once per delivery) and give back the answer it was about, to show with the thanks."""
        if not value.entry or value.entry == NONE_OF_THESE:
            return None
        if first:
            await off_loop(assistant.feedback, value.ref, value.entry, helpful, who)
        return await off_loop(shown_entry, value.entry, value.nation)

    def shown_entry(entry_id: str, nation: str | None) -> Reply | None:
        """The answer a card showed, rebuilt to refresh the card; not a new question, so nothing is recorded."""
        entry = assistant.kb.get(entry_id)
        if entry is None:
            return None
        return assistant.answerer.entry_reply(entry, today=assistant.today(), nation=nation)

    async def plan_click(verb: str, raw: Any, who: Member) -> cards.Card:
        """A planner action: the answers it carries are checked by the planner's codec (forged: a polite reply,
        nothing stored), and never logged."""
        answers = unpack_plan(raw)
        if answers is None:
            log.info("ignored a Teams plan click with data we did not write")
            return cards.notice_card(wording.BAD_BUTTON)
        if verb == ids.VERB_PLAN_START:
            return cards.plan_turn_card(await off_loop(planner.start, who))
        if verb == ids.VERB_PLAN_STOP:
            return cards.plan_turn_card(planner.stop())
        return cards.plan_turn_card(await off_loop(planner.resume, answers))

    async def on_submit(context: TurnContext, data: Any) -> None:
        """An Action.Submit (a message with the action's data as its value): the answer as a new card."""
        who = member(context.activity)
        click = _click(data)
        if click is not None and click[0] in ids.PLAN_VERBS:
            await send_card(ctx, context, await plan_click(click[0], click[1], who))
            return
        value = unpack(click[1], assistant.kb) if click else None
        if click is None or value is None:
            log.info("ignored a Teams click with data we did not write")
            await send_card(ctx, context, cards.notice_card(wording.BAD_BUTTON))
            return
        verb = click[0]
        if verb in (ids.VERB_ASK_PERSON, ids.VERB_SEND_TO_PERSON):
            await send_card(ctx, context, await ask_person(context, verb, value))
            return
        if verb in ids.FEEDBACK_VERBS:  # 👍/👎 are Action.Execute; a client that submits them gets a thanks
            helpful = ids.FEEDBACK_VERBS[verb]
            shown = await feedback(helpful, value, who, first=True)
            text = wording.THANKS_UP if helpful else wording.THANKS_DOWN
            await send_card(ctx, context, cards.notice_card(text if shown is not None else wording.GONE))
            return
        await send_card(ctx, context, await navigate(verb, value, who))

    # --- a person ---------------------------------------------------------------------------------------
    async def ask_person(context: TurnContext, verb: str, value: ButtonValue) -> cards.Card:
        """ "Ask a person" shows what would be posted; a send button posts it (after the member's own click)."""
        if not value.question or not ctx.escalation_channel:
            log.info("ignored an 'Ask a person' click with no question or no help channel")
            return cards.notice_card(wording.BAD_BUTTON)
        if verb == ids.VERB_ASK_PERSON:
            return cards.ask_person_card(value.question, value.ref)
        activity = context.activity
        sender = activity.from_property
        name = " ".join(str(sender.name or "").split())[:80] if value.named and sender is not None else ""
        tenant = activity.conversation.tenant_id if activity.conversation is not None else None
        posted = cards.escalation_card(value.question, name or None)
        fields: dict[str, Any] = {
            "isGroup": True,
            "channelData": {"channel": {"id": ctx.escalation_channel}},
            "activity": card_activity(posted),
        }
        if activity.recipient is not None and activity.recipient.id:
            fields["bot"] = {"id": activity.recipient.id, "name": activity.recipient.name or ""}
        if tenant:
            fields["tenantId"] = str(tenant)
        parameters = ConversationParameters.model_validate(fields)
        thread = None
        connector = _connector(context)
        try:
            if connector is not None:
                created = await connector.conversations.create_conversation(parameters)
                thread = _thread_of(created.id, created.activity_id)
        except Exception as exc:  # the connector refused or failed: the member is told, nothing is kept
            log.warning("could not post a question in the Teams help channel (%s)", type(exc).__name__)
        if not thread or activity.conversation is None or not activity.conversation.id:
            return cards.notice_card(wording.ASK_PERSON_FAILED)
        # where to pass replies back to: the conversation the member asked from, kept under the thread
        await off_loop(assistant.recorder.keep_escalation, escalation_key(thread), {"c": str(activity.conversation.id)})
        return cards.notice_card(wording.ASK_PERSON_SENT.format(channel=wording.HELP_CHANNEL))

    def _thread_of(conversation_id: str | None, activity_id: str | None) -> str | None:
        """The new thread's conversation id (`<channel>;messageid=<root>`), as replies in it will carry it."""
        if conversation_id and THREAD_MARK in conversation_id:
            return str(conversation_id)
        return f"{ctx.escalation_channel}{THREAD_MARK}{activity_id}" if activity_id else None

    async def pass_on(context: TurnContext, thread: str, text: str) -> None:
        """A person replied in a help-channel thread: pass it to the member's conversation, thank them."""
        kept = await off_loop(assistant.recorder.escalation, escalation_key(thread))
        member_conversation = kept.get("c") if isinstance(kept, dict) else None
        if not isinstance(member_conversation, str) or not member_conversation:
            await send_card(ctx, context, cards.notice_card(wording.ASK_PERSON_NOT_PASSED_ON))
            return
        if not text.strip():
            return  # only the mention: nothing to pass on
        connector = _connector(context)
        try:
            if connector is None:
                raise RuntimeError("no connector")
            await connector.conversations.send_to_conversation(
                member_conversation, card_activity(cards.relayed_reply_card(text))
            )
        except Exception as exc:
            log.warning("could not pass a help-channel reply on in Teams (%s)", type(exc).__name__)
            await send_card(ctx, context, cards.notice_card(wording.ASK_PERSON_RELAY_FAILED))
            return
        await send_card(ctx, context, cards.notice_card(wording.ASK_PERSON_PASSED_ON))

    async def on_card_action(context: TurnContext, state: TurnState) -> None:
        """An `adaptiveCard/action` invoke: always answered, so Teams never shows an error on the card."""
        activity = context.activity
        raw: dict[str, Any] = activity.value if isinstance(activity.value, dict) else {}
        action: dict[str, Any] = raw["action"] if isinstance(raw.get("action"), dict) else {}
        data: dict[str, Any] = action["data"] if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb")
        navigable = verb in ids.VERBS and verb not in ids.PLAN_VERBS  # planner actions are Action.Submit only
        value = unpack(data.get(ids.VALUE_KEY), assistant.kb) if navigable else None
        if value is None:
            log.info("ignored a Teams card action with data we did not write")
            await send_invoke_response(context, cards.invoke_message(wording.BAD_BUTTON))
            return
        who = member(activity)
        if verb in ids.FEEDBACK_VERBS:
            helpful = ids.FEEDBACK_VERBS[verb]
            shown = await feedback(helpful, value, who, first=await claim(activity))
            if shown is None:
                await send_invoke_response(context, cards.invoke_message(wording.GONE))
                return
            refreshed = cards.reply_card(shown, ref=value.ref, thanks=helpful)
            await send_invoke_response(context, cards.invoke_card(refreshed))
            return
        # navigation through Action.Execute (our cards use Action.Submit for it): the answer as a new card
        if await claim(activity):
            await send_card(ctx, context, await navigate(str(verb), value, who))
        await send_invoke_response(context, cards.invoke_message(cards.ANSWERED_BELOW))

    # --- messages ---------------------------------------------------------------------------------------
    async def on_message(context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        if activity.value is not None and not (activity.text or "").strip():
            await on_submit(context, activity.value)
            return
        if not addressed(activity):
            return  # a channel message that does not mention the bot (only with resource-specific consent)
        text = to_plain(activity.text)
        thread = help_thread(activity, ctx.escalation_channel)
        if thread is not None:
            await pass_on(context, thread, text)
            return
        if text.lower() == REPORT_WORD:
            await send_card(ctx, context, await off_loop(report_for, ctx, activity))
            return
        if is_plan_request(text):
            turn = await off_loop(planner.start, member(activity))
            await send_card(ctx, context, cards.plan_turn_card(turn))
            return
        answered = await run_steps(assistant.ask_steps(text, SURFACE, member(activity)))
        reply = answered.reply
        if reply.outcome == HELP:
            built = cards.welcome_card(reply)
        else:
            question = text if ctx.escalation_channel else None
            built = cards.reply_card(reply, ref=answered.ref, person_question=question)
        await send_card(ctx, context, built)

    async def on_members_added(context: TurnContext, state: TurnState) -> None:
        """The bot was added to a personal chat, a group chat or a team: one welcome card."""
        if not _bot_was_added(context.activity):
            return  # someone else joined a conversation the bot is in
        await send_card(ctx, context, cards.welcome_card(await off_loop(assistant.help)))

    async def ignore(context: TurnContext, state: TurnState) -> None:
        """Installation updates, reactions, edits and the like: nothing to say (and no 'no route' log line)."""
        log.debug("ignored a Teams %s activity", str(context.activity.type)[:30])

    async def on_error(context: TurnContext, error: Exception) -> None:
        """One log line (never the member's words), and an apology where one can still be given."""
        status = error.status if isinstance(error, ClientResponseError) else None
        rejected = status in (401, 403)
        if rejected:
            if ctx.health.get("teams") != REJECTED:
                log.error(
                    "the Bot Connector rejected the bot's token (HTTP %s): check the CONNECTIONS__SERVICE_CONNECTION"
                    "__SETTINGS__ CLIENTID, CLIENTSECRET (the secret's value) and TENANTID; members get no replies",
                    status,
                )
            ctx.health["teams"] = REJECTED
        else:
            log.error("a Teams turn failed (%s)", type(error).__name__)
        try:
            if context.activity.type == ActivityTypes.invoke:
                await send_invoke_response(context, cards.invoke_message(wording.APOLOGY))
            elif context.activity.type == ActivityTypes.message and not rejected:
                await send_card(ctx, context, cards.notice_card(wording.APOLOGY))
        except Exception as exc:
            log.warning("could not apologise for a failed Teams turn (%s)", type(exc).__name__)

    app.before_turn(once)
    app.conversation_update("membersAdded")(on_members_added)
    app.invoke(ADAPTIVE_CARD_ACTION)(on_card_action)
    app.message()(on_message)
    app.add_route(
        lambda context: context.activity.type not in (ActivityTypes.message, ActivityTypes.invoke),
        ignore,
        rank=RouteRank.LAST,  # after membersAdded (default rank), which it also matches
    )
    app.error(on_error)


def report_for(ctx: TeamsContext, activity: Activity) -> cards.Card:
    """The curators' report for an admin in a personal chat; a polite refusal for anyone else."""
    sender = activity.from_property
    aad = str(sender.aad_object_id or "").strip().lower() if sender is not None else ""
    if not aad or aad not in ctx.admin_aad_ids:
        log.info("refused the report to a member who is not in TEAMS_ADMIN_AAD_IDS")
        return cards.notice_card(wording.REPORT_REFUSED)
    if conversation_type(activity) != PERSONAL:
        return cards.notice_card(cards.REPORT_PERSONAL_ONLY)
    if ctx.reporter is None:
        return cards.notice_card(wording.REPORT_UNAVAILABLE)
    try:
        return cards.report_card(ctx.reporter())
    except Exception as exc:
        log.error("the report could not be built (%s)", type(exc).__name__)
        return cards.notice_card(wording.REPORT_FAILED)
