"""A recording stand-in of the Slack Web API (`/api/<method>`) and of response URLs (`/hooks/...`), on a free
loopback port, with faults on demand: `fail` (an error, a 429 or a 5xx), `hang` (a stuck call), `respond_with`.

The tests keep every call (`calls`, `calls_to`, `last`, `wait_for`); the load benchmark, which makes thousands,
runs it with `keep_calls=False` and reads the running counts instead (`counts` per method, `posts` per channel,
`hooks` per response URL), with `check` run on every call (e.g. `wire.call_problems`: what Slack would reject).
Standard library only, so `bench/load.py` can use it without pytest; it runs it in a process of its own
(`python -m tests.slack.stand_ins.web_api --check`, which prints its URL and serves `GET /_stand_in/counts`), so
the load clients and the stand-in do not share one interpreter's lock.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEAM, BOT_USER, BOT_ID = "T0001", "U0002", "B0001"
BOT_TOKEN = "xoxb-test-0000-secret-bot-token"
AUTH_TEST = {
    "ok": True,
    "url": "https://physio-demo.slack.com/",
    "team": "physio-demo",
    "user": "physio-career-bot",
    "team_id": TEAM,
    "user_id": BOT_USER,
    "bot_id": BOT_ID,
    "is_enterprise_install": False,
}
MAX_PROBLEMS = 100  # problems kept from `check`; the rest are only counted
COUNTS_PATH = "/_stand_in/counts"  # the running counts as JSON, for a stand-in in another process


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1] if self.path.startswith("/api/") else self.path

    @property
    def blocks(self) -> list[dict]:
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def view(self) -> dict:
        view = self.body.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view


@dataclass
class Canned:
    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to hang before answering (a slow or stuck Web API)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses connections under load


class SlackApiStandIn:
    """A recording stand-in of the Slack Web API (`/api/<method>`) and of response URLs (`/hooks/...`).

    `fail(method, ...)` makes a method answer an error for the next `times` calls (or always), e.g.
    `fail("chat.postMessage", error="not_in_channel")` or `fail("chat.postMessage", status=429, retry_after=0)`.
    Use it as a context manager, or call `close()`.
    """

    def __init__(
        self, *, keep_calls: bool = True, check: Callable[[Call], list[str]] | None = None, keep_alive: bool = False
    ) -> None:
        self.calls: list[Call] = []
        self.keep_calls = keep_calls
        self.check = check
        self.counts: Counter[str] = Counter()  # calls per method; "hooks" for response URLs
        self.posts: Counter[str] = Counter()  # chat.postMessage per channel
        self.hooks: Counter[str] = Counter()  # posts per response URL path
        self.problems: list[str] = []  # what `check` found (the first MAX_PROBLEMS)
        self.problem_count = 0
        self._overrides: dict[str, list[tuple[Canned, int | None]]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps a client's connection open between calls, as Slack does (every answer has a length)
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                stand_in._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                return None

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-web-api", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SlackApiStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # configuring -----------------------------------------------------------------------------------------
    def respond_with(self, method: str, body: dict[str, Any]) -> None:
        """Make `method` answer `body` (ok) from now on."""
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(200, body), None))

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int | None = None,
    ) -> None:
        body: dict[str, Any] | str = {"ok": False, "error": error} if error else {"ok": False, "error": "fatal_error"}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status >= 500:
            body = "<html>Slack is having trouble</html>"
        elif status == 429:
            body = {"ok": False, "error": "ratelimited"}
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(status, body, headers), times))

    def hang(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Make `method` take `seconds` before it answers (ok), e.g. a stuck chat.postMessage."""
        ok = AUTH_TEST if method == "auth.test" else {"ok": True, "channel": "D0001", "ts": f"{time.time():.6f}"}
        with self._lock:
            self._overrides.setdefault(method, []).append((Canned(200, ok, delay=seconds), times))

    # asserting -------------------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Calls to a Web API method ("chat.postMessage") or to response URLs ("hooks")."""
        with self._lock:
            if method == "hooks":
                return [c for c in self.calls if c.path.startswith("/hooks/")]
            return [c for c in self.calls if c.path == f"/api/{method}"]

    def last(self, method: str) -> Call:
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; calls were {[c.path for c in self.calls]}"
        return calls[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Poll until `count` calls to `method` arrived (for the real server, which answers asynchronously)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [
                    c for c in self.calls if c.path == f"/api/{method}" or (method == "hooks" and "/hooks/" in c.path)
                ]
                if len(calls) >= count or time.monotonic() > deadline:
                    return calls
                self._changed.wait(timeout=0.05)

    def outbound(self) -> list[Call]:
        """Every call except the start-up auth.test."""
        with self._lock:
            return [c for c in self.calls if c.path != "/api/auth.test"]

    def posted_to(self, channels: list[str]) -> int:
        """How many of `channels` got at least one chat.postMessage (works with keep_calls=False)."""
        with self._lock:
            return sum(1 for c in channels if self.posts.get(c))

    def hooked(self, paths: list[str]) -> int:
        """How many of the response URL `paths` got at least one post (works with keep_calls=False)."""
        with self._lock:
            return sum(1 for p in paths if self.hooks.get(p))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._overrides.clear()
            self.counts.clear()
            self.posts.clear()
            self.hooks.clear()

    # serving ---------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The running counts, as `GET /_stand_in/counts` serves them."""
        with self._lock:
            return {
                "counts": dict(self.counts),
                "posts": dict(self.posts),
                "hooks": dict(self.hooks),
                "problems": list(self.problems),
                "problem_count": self.problem_count,
            }

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.path == COUNTS_PATH:
            data = json.dumps(self.snapshot()).encode()
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
            return
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode("utf-8") if length else ""
        parts = urllib.parse.urlsplit(request.path)
        path = parts.path
        # the SDK sends some methods' arguments in the query string (conversations.open)
        body = {**dict(urllib.parse.parse_qsl(parts.query)), **_parse(raw)}
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(path, body, headers)
        problems = self.check(call) if self.check is not None else []
        is_hook = path.startswith("/hooks/")
        with self._changed:
            if self.keep_calls:
                self.calls.append(call)
            self.counts["hooks" if is_hook else call.method] += 1
            if is_hook:
                self.hooks[path] += 1
            elif path == "/api/chat.postMessage":
                self.posts[str(body.get("channel") or "")] += 1
            if problems:
                self.problem_count += len(problems)
                room = MAX_PROBLEMS - len(self.problems)
                self.problems.extend(f"{path}: {p}" for p in problems[: max(room, 0)])
            self._changed.notify_all()
            canned = self._canned(path)
        if canned.delay:
            time.sleep(canned.delay)
        payload = canned.body if isinstance(canned.body, str) else json.dumps(canned.body)
        data = payload.encode()
        try:
            request.send_response(canned.status)
            is_json = not isinstance(canned.body, str)
            request.send_header("Content-Type", "application/json; charset=utf-8" if is_json else "text/plain")
            for name, value in canned.headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the app gave up waiting (a hang longer than its timeout)
            return

    def _canned(self, path: str) -> Canned:
        method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "hooks"
        queue = self._overrides.get(method) or []
        if queue:
            canned, times = queue[0]
            if times is not None:
                times -= 1
                if times <= 0:
                    queue.pop(0)
                else:
                    queue[0] = (canned, times)
            return canned
        if path.startswith("/hooks/"):
            return Canned(200, "ok")
        if method == "auth.test":
            return Canned(200, AUTH_TEST)
        if method == "chat.postMessage":
            return Canned(200, {"ok": True, "channel": "C0001", "ts": f"{time.time():.6f}", "message": {}})
        if method == "conversations.open":
            return Canned(200, {"ok": True, "channel": {"id": "D0001"}})
        return Canned(200, {"ok": True})


def _parse(raw: str) -> dict[str, Any]:
    if raw.lstrip().startswith("{"):
        return json.loads(raw)
    return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))


def main(argv: list[str] | None = None) -> int:
    """Serve the stand-in (keeping no calls) until stdin closes or SIGTERM; print its URL first."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(description="The Slack Web API stand-in, in a process of its own")
    parser.add_argument("--check", action="store_true", help="check every message against Block Kit limits")
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1: keep connections open, as Slack does")
    args = parser.parse_args(argv)
    check = None
    if args.check:
        from tests.slack.stand_ins.wire import call_problems

        check = call_problems
    stand_in = SlackApiStandIn(keep_calls=False, check=check, keep_alive=args.keep_alive)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(stand_in.url, flush=True)
    stop.wait()
    stand_in.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
