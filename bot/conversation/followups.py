"""Follow-up questions: "and band 4?", "what about in wales", "how long does that take", understood against the
previous answer in the same DM, thread or terminal chat.

The context is small (the entry answered, the band and nation it was for), kept about 30 minutes by the
curators' log under a fingerprint of the conversation, never a member's id or words. A question that stands on
its own replaces it. Pure: the caller reads and writes the context.
"""

from __future__ import annotations

from dataclasses import replace

from bot.brain.guards import band_named
from bot.brain.matcher import ANSWER
from bot.brain.nations import NATIONS
from bot.brain.reply import Answerer, Reply, lead_with_band
from bot.brain.text import normalise

# Words that carry no topic of their own in a follow-up ("and what about in...").
FILLER = frozenset(
    "and what about how so also same for in the a an is it that this there then ok okay but or please pls "
    "thanks do does did you know if whats hows band bands at on of to with".split()
)
OPENERS = ("and", "what about", "how about", "same for", "what if", "and for", "also", "but", "so", "ok and")
POINTERS = frozenset({"that", "it", "this", "those", "them", "these", "there"})
MAX_WORDS = 8


def context_of(reply: Reply) -> dict[str, object] | None:
    """What to keep after a reply: the entry answered and the band and nation it was for."""
    if reply.outcome != ANSWER or not reply.entry_id:
        return None
    data: dict[str, object] = {"e": reply.entry_id}
    if reply.nation:
        data["n"] = reply.nation
    return data


def looks_like_a_follow_up(text: str) -> bool:
    words = normalise(text).split()
    if not words or len(words) > MAX_WORDS:
        return False
    joined = " ".join(words)
    return joined.startswith(OPENERS) or bool(POINTERS.intersection(words)) or len(words) <= 3


def resolve(answerer: Answerer, text: str, own: Reply, context: dict, *, today, nation: str | None) -> Reply | None:
    """The reply to `text` read as a follow-up of `context`, or None when it stands on its own."""
    previous = answerer.kb.get(str(context.get("e") or ""))
    if previous is None or not looks_like_a_follow_up(text):
        return None
    if own.outcome == ANSWER and own.score >= 60 and own.entry_id != previous.id and not own.guard:
        return None  # a clear question of its own
    if own.guard:
        return None  # a guard decided: never overridden by context
    match = answerer.matcher.match(text)
    words = match.query.split()
    topic_words = [w for w in words if w not in FILLER and not w.isdigit()]
    named = tuple(n for n in match.nations if n in NATIONS)
    band = band_named(words)
    if named and not topic_words:
        # "what about in wales": the previous answer, for that nation
        return answerer.entry_reply(previous, today=today, nation=named[0])
    if band is not None and not topic_words:
        # "and band 4?": the same side of the topic for another band
        target = _same_kind_for_band(answerer, previous.id, band)
        if target is None:
            return None
        reply = answerer.entry_reply(answerer.kb.by_id[target], today=today, nation=context.get("n") or nation)
        if target == previous.id:
            reply = replace(reply, body=lead_with_band(reply.body, band))
        return reply
    # "how long does that take": the question read with the previous topic
    combined = answerer.reply(f"{previous.question} {text}", today=today, nation=context.get("n") or nation)
    if combined.outcome == ANSWER and not combined.guard:
        return combined
    return None


def _same_kind_for_band(answerer: Answerer, entry_id: str, band: int) -> str | None:
    """band-3 -> band-4 (the facets' band map); the pay answer stays the pay answer."""
    for facet in answerer.kb.rules.facets:
        if facet.by_band and entry_id in facet.by_band.values():
            return facet.by_band.get(band)
    for facet in answerer.kb.rules.facets:
        if facet.lead_with_band and facet.answer == entry_id:
            return entry_id
    return None


def follow_up_answerer(answerer: Answerer, *, today=None):
    """For `physio-career eval`: answer a question as a follow-up of a previous reply."""

    def answer(question: str, previous: Reply) -> Reply:
        own = answerer.reply(question, today=today)
        context = context_of(previous)
        if context is None:
            return own
        return resolve(answerer, question, own, context, today=today, nation=None) or own

    return answer
