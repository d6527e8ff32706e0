"""Global middleware: answer each Events API delivery once, and one debug line per request (never its content).

Slack redelivers an event (with `X-Slack-Retry-Num`) when it did not see our 200 within 3 seconds, and after a
non-2xx. Dropping every retry would lose an event whose first delivery never reached us, so instead each event
id is claimed once in the curators' log's event ledger (`claim_event`, shared by every process through the
database, with a memory of its own in front): the first delivery to arrive, original or retry, is answered and
every later copy gets a bare 200.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.conversation import Assistant
from bot.runtime import off_loop

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse | None]]


def _header(request: AsyncBoltRequest, name: str) -> str:
    values = request.headers.get(name) or ["-"]
    return str(values[0])[:8]


def deduplicate_events(assistant: Assistant, ctx) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def deduplicate(req: AsyncBoltRequest, body: dict, next: Next) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            key = "slack:" + str(event_id)[:100]
            first = True
            try:
                claim_async = getattr(assistant.recorder, "claim_event_async", None)
                if claim_async is not None:  # the database is asked from a helper thread, nothing else leaves the loop
                    first = bool(await claim_async(key))
                else:
                    claim = getattr(assistant.recorder, "claim_event", None)
                    if claim is not None:
                        first = bool(await off_loop(claim, key))
            except Exception as exc:  # fail open: a rare duplicate beats a member getting no answer
                log.warning("could not check an event delivery (%s); answering it", type(exc).__name__)
            if not first:
                log.info(
                    "skipped a repeat delivery of an event (retry %s, reason %s)",
                    _header(req, "x-slack-retry-num"),
                    _header(req, "x-slack-retry-reason"),
                )
                return BoltResponse(status=200, body="")
        return await next()

    return deduplicate


async def log_request(body: dict, next: Next) -> BoltResponse | None:
    """One debug line per request: its type only, never the payload."""
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    detail = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else ""
    log.debug("slack request: %s %s", str(kind)[:40], str(detail or "")[:40])
    return await next()
