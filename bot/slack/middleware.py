"""Global middleware: answer each Events API delivery once, and one debug line per request (never its content).

Slack redelivers an event (with `X-Slack-Retry-Num`) when it did not see our 200 within 3 seconds, and after a
non-2xx. Dropping every retry would lose an event whose first delivery never reached us, so instead each event
id is claimed once in the curators' log's event ledger (`claim_event`, shared by every process through the
database, with a memory of its own in front): the first delivery to arrive, original or retry, is answered and
every later copy gets a bare 200.

`Deliveries` is one Bolt `AsyncMiddleware` (called with the request itself), not a middleware function: Bolt
builds a function's keyword arguments afresh for every request (some thirty of them), which this needs none of.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.conversation import Assistant
from bot.runtime import off_loop

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse | None]]


def _header(request: AsyncBoltRequest, name: str) -> str:
    values = request.headers.get(name) or ["-"]
    return str(values[0])[:8]


def describe(body: dict) -> tuple[str, str]:
    """The request's type and its event's type: for the debug line, never the payload."""
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    detail = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else ""
    return str(kind)[:40], str(detail or "")[:40]


class Deliveries(AsyncMiddleware):
    """One debug line per request, then an Events API delivery is claimed: a repeat gets a bare 200."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Next,  # noqa: A002 - Bolt's keyword
    ) -> BoltResponse | None:
        body = req.body
        if log.isEnabledFor(logging.DEBUG):
            log.debug("slack request: %s %s", *describe(body))
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.first_delivery("slack:" + str(event_id)[:100]):
            log.info(
                "skipped a repeat delivery of an event (retry %s, reason %s)",
                _header(req, "x-slack-retry-num"),
                _header(req, "x-slack-retry-reason"),
            )
            return BoltResponse(status=200, body="")
        return await next()

    async def first_delivery(self, key: str) -> bool:
        """True unless the ledger says `key` was claimed before (fails open: a rare duplicate beats a member
        getting no answer)."""
        recorder = self.assistant.recorder
        try:
            claim_async = getattr(recorder, "claim_event_async", None)
            if claim_async is not None:  # the database is asked from a helper thread, nothing else leaves the loop
                return bool(await claim_async(key))
            claim = getattr(recorder, "claim_event", None)
            return True if claim is None else bool(await off_loop(claim, key))
        except Exception as exc:
            log.warning("could not check an event delivery (%s); answering it", type(exc).__name__)
            return True
