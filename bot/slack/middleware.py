"""Global middleware: answer each Events API delivery once, and one debug line per request.

Slack redelivers an event (with `X-Slack-Retry-Num`) when it did not see our 200 within 3 seconds, and after a
non-2xx. Dropping every retry would lose an event whose first delivery never reached us, so instead each
event id is claimed once in the recorder's store (`claim_event`): the first delivery to arrive, original or
retry, is answered and every later copy gets a bare 200. With several processes the store must be shared (the
database; see README "Scaling out"). Bolt runs this after its own middleware, so a forged request (401) never
claims an event id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse

from bot.slack.deps import SafeRecorder

log = logging.getLogger(__name__)


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or [None]
    return values[0]


def deduplicate_events(recorder: SafeRecorder) -> Callable[..., BoltResponse | None]:
    def deduplicate(request: BoltRequest, body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not recorder.claim_event(str(event_id)):
            log.info(
                "skipped a repeat delivery of event %s (retry %s, reason %s)",
                event_id,
                _header(request, "x-slack-retry-num") or "-",
                _header(request, "x-slack-retry-reason") or "-",
            )
            return BoltResponse(status=200, body="")
        return next()

    return deduplicate


def log_request(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """One debug line per request: its type only, never the payload."""
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    detail = (body.get("event") or {}).get("type") or body.get("command") or ""
    log.debug("slack request: %s %s", kind, detail)
    return next()
