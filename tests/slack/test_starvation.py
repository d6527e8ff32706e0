"""Slow, idle and stuck peers cannot starve the real server (issue 9; the audit's failures 5 and 15).

Each test starts `physio-career serve --http` as a real process with one worker (`WEB_CONCURRENCY=1`: every
connection and every reply shares one event loop, the worst case), the fixture knowledge base and the Web API
stand-in, and talks to it over loopback with bounded counts and time:

- 200 idle connections (half connect and say nothing, half send a partial request line and go silent) and 50
  slow-header clients (a request line, then one byte of a header every 0.2 s, never finishing), plus 20 slow-body
  clients (whole headers, then one body byte every 0.2 s), held open for the whole test (any the server closes
  are opened again at once): `/healthz` and signed slash commands are still answered in under a second, every
  time. The old threaded server answered 0 of 40 under 50 such clients.
- A Web API whose chat.postMessage hangs for 10 s, or answers 429 with Retry-After 20: the DMs' replies wait, and
  slash commands, whose answer travels in the acknowledgement, are still answered in under a second. The old
  server failed 7 of 10 (hang) and 5 of 10 (429).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KNOWLEDGE, ROOT
from tests.slack.stand_ins.web_api import BOT_TOKEN, SlackApiStandIn
from tests.slack.stand_ins.wire import SIGNING_SECRET, Wire, command_fields, dm_event

pytestmark = pytest.mark.slow

WITHIN = 1.0  # seconds: every probe must be answered faster than this
IDLE, SLOW_HEADERS, SLOW_BODIES = 200, 50, 20
PROBES = 20  # of each kind
TRICKLE = 0.2  # seconds between the slow clients' bytes


@dataclass
class Server:
    port: int
    api: SlackApiStandIn
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    """The real server process, one worker, on the fixture knowledge; killed (with its worker) at the end, so a
    reply stuck on the hanging Web API does not hold the test up."""
    api = SlackApiStandIn()
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'physio-career.sqlite3'}",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
    }
    cli = Path(sys.executable).with_name("physio-career")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "bot.cli"]
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "serve", "--http", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(port, api, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while get(port, "/healthz", timeout=1.0)[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{running.log_text()}")
            time.sleep(0.1)
        yield running
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)
        api.close()


def get(port: int, path: str, *, timeout: float = 5.0) -> tuple[int, float]:
    """GET on a fresh connection: the status (0 if it failed) and the seconds it took."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, time.perf_counter() - started
    finally:
        conn.close()


def post(port: int, wire: Wire, *, timeout: float = 5.0) -> tuple[int, bytes, float]:
    """A signed POST /slack/events on a fresh connection: status (0 if it failed), body and seconds taken."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/slack/events", body=wire.raw.encode(), headers=wire.headers())
        response = conn.getresponse()
        return response.status, response.read(), time.perf_counter() - started
    except OSError:
        return 0, b"", time.perf_counter() - started
    finally:
        conn.close()


def command(port: int, api: SlackApiStandIn, text: str = "band5") -> tuple[int, dict, float]:
    status, body, took = post(port, Wire.form(command_fields(text, hooks_base=api.url)))
    try:
        answer = json.loads(body) if status == 200 else {}
    except ValueError:
        answer = {}
    return status, answer, took


# --- the attackers ------------------------------------------------------------------------------------------
@dataclass
class Attackers:
    """Idle and slow connections held open against `port` by one thread, each opened again if the server closes
    it, until `stop()`."""

    port: int
    sockets: dict[str, list[socket.socket]] = field(default_factory=dict)
    reopened: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    OPENINGS = {
        "idle": b"",
        "partial request line": b"POST /slack/events HT",
        "slow headers": b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
        "slow body": (
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\nContent-Length: 100000\r\n\r\n{"
        ),
    }
    TRICKLES = {"slow headers": b"a", "slow body": b" "}

    def start(self, counts: dict[str, int]) -> None:
        for kind, n in counts.items():
            self.sockets[kind] = [self._open(kind) for _ in range(n)]
            self.reopened[kind] = 0
        self._thread = threading.Thread(target=self._hold, name="attackers", daemon=True)
        self._thread.start()

    def _open(self, kind: str) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if self.OPENINGS[kind]:
            s.sendall(self.OPENINGS[kind])
        s.setblocking(False)
        return s

    def _hold(self) -> None:
        while not self._stop.wait(TRICKLE):
            for kind, group in self.sockets.items():
                for i, s in enumerate(group):
                    if self._closed(s) or not self._trickle(s, self.TRICKLES.get(kind)):
                        s.close()
                        try:
                            group[i] = self._open(kind)
                            self.reopened[kind] += 1
                        except OSError:
                            pass

    @staticmethod
    def _closed(s: socket.socket) -> bool:
        try:
            return s.recv(65536, socket.MSG_PEEK) == b""  # EOF; data (a 408 or 400) means it is being closed too
        except BlockingIOError:
            return False
        except OSError:
            return True

    @staticmethod
    def _trickle(s: socket.socket, data: bytes | None) -> bool:
        if not data:
            return True
        try:
            s.send(data)
            return True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def held(self) -> dict[str, int]:
        return {kind: sum(1 for s in group if not self._closed(s)) for kind, group in self.sockets.items()}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for group in self.sockets.values():
            for s in group:
                s.close()


def test_idle_and_slow_clients_do_not_starve_healthz_or_slash_commands(server):
    attackers = Attackers(server.port)
    attackers.start(
        {
            "idle": IDLE // 2,
            "partial request line": IDLE - IDLE // 2,
            "slow headers": SLOW_HEADERS,
            "slow body": SLOW_BODIES,
        }
    )
    try:
        time.sleep(1.0)  # every attacker connected and talking, slowly
        health, commands = [], []
        for i in range(PROBES):
            health.append(get(server.port, "/healthz"))
            status, answer, took = command(server.port, server.api, ("band5", "band 3", "band4")[i % 3])
            commands.append((status, bool(answer.get("blocks")), took))
            time.sleep(0.2)  # spread the probes over the slow clients' trickle
        held = attackers.held()
    finally:
        attackers.stop()
    summary = (
        f"healthz max {max(t for _, t in health):.3f} s, commands max {max(t for *_, t in commands):.3f} s; "
        f"held at the end {held}, reopened after the server closed them {attackers.reopened}"
    )
    print(summary)
    assert [s for s, _ in health] == [200] * PROBES, summary
    assert all(t < WITHIN for _, t in health), summary
    assert [(s, answered) for s, answered, _ in commands] == [(200, True)] * PROBES, summary
    assert all(t < WITHIN for *_, t in commands), summary
    assert server.process.poll() is None


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda api: api.hang("chat.postMessage", 10), id="chat.postMessage hangs 10 s"),
        pytest.param(
            lambda api: api.fail("chat.postMessage", status=429, retry_after=20), id="chat.postMessage answers 429"
        ),
    ],
)
def test_a_stuck_web_api_delays_only_the_replies_that_need_it(server, fault):
    api = server.api
    fault(api)
    started = time.monotonic()
    dms = [
        post(server.port, Wire.event(dm_event("band 3", event_id=f"Ev0STUCK{i:03d}", channel=f"D{i:08d}")))
        for i in range(12)
    ]
    assert [status for status, *_ in dms] == [200] * 12
    assert all(took < WITHIN for *_, took in dms), [took for *_, took in dms]
    assert len(api.wait_for("chat.postMessage", count=12, timeout=5)) >= 12  # every reply is on its way, and stuck

    commands = [command(server.port, api, ("band5", "band 3", "band4")[i % 3]) for i in range(PROBES)]
    finished = time.monotonic() - started
    assert [(status, bool(answer.get("blocks"))) for status, answer, _ in commands] == [(200, True)] * PROBES
    took = [t for *_, t in commands]
    assert max(took) < WITHIN, took
    assert finished < 8.0  # all of it while the DMs' replies were still stuck (10 s hang, 20 s Retry-After)
    assert len(api.calls_to("hooks")) == 0  # the commands' answers went in their acknowledgements
    assert server.process.poll() is None
