"""The real HTTP server under load, side by side with the previous implementation's, on loopback.

    python bench/load.py                        # 16 clients, 30 s on each server: the new one and the baseline
    python bench/load.py --duration 10 --clients 32
    python bench/load.py --baseline 3536afc     # another commit as the baseline
    python bench/load.py --no-baseline          # the new server only
    python bench/load.py --smoke --no-baseline  # 3 s, 4 clients, new server only (what the test suite runs)
    python bench/load.py --teams-clients 8      # 8 clients in the Teams phase (default 4; --no-teams skips it)

Two servers, one after the other, under the same Slack load; then the new server alone under Teams load:

- **new**: this tree's `physio-career serve --http` (one aiohttp application under gunicorn's aiohttp worker), run
  as `python -m bot.cli serve --http` with `PYTHONPATH` set to this tree (not the venv's `physio-career` script,
  which imports `bot` from wherever the venv's editable install points, another checkout for a git worktree).
- **baseline** (default `08334f3`, the threaded gunicorn WSGI server with sync Bolt): checked out as a detached
  git worktree in a temporary folder, run with this venv's python as `python -m bot.cli serve --http` with
  `PYTHONPATH` and the working folder set to the worktree, and removed afterwards.

Each server gets its own Web API stand-in (`tests/slack/stand_ins/web_api.py`, in a process of its own on a free
loopback port, speaking HTTP/1.1 with keep-alive as Slack does, so a client that keeps its connections can reuse
them: `auth.test` answers as our bot, `chat.postMessage` is counted per channel, response URLs per path, and every
message is checked against Slack's Block Kit limits), a random SLACK_SIGNING_SECRET,
SLACK_BOT_TOKEN=xoxb-bench and a throw-away SQLite DATABASE_URL. Each answers from its own `knowledge/`: neither
can load the other's format, and the baseline cannot load the fixture knowledge base in tests/data either.

N clients (default 16, as threads in 4 processes: Slack's requests come from many machines, not from one
interpreter) each keep one HTTP/1.1 connection and send, back to back for --duration seconds, signed requests to
POST /slack/events built by `tests/slack/stand_ins/wire.py`: slash commands (the answer comes back in the
acknowledgement), DM message events (acknowledged, then answered with chat.postMessage; each with a unique
event_id and its own DM channel, so every DM can be checked for exactly one reply), and a few clicks on a button
of the client's last slash-command answer (acknowledged, then answered at the click's own response_url).
Every client's seeded sequence of questions (from knowledge/examples/tuning.yaml) is the same for both servers. Nothing
leaves the machine; the processes and the worktree are removed at the end.

Teams (on by default, `--teams`; the new server only, the baseline has no Teams) is a phase of its own, after the
side-by-side Slack runs, so that both servers get exactly the same Slack load and nothing else: a fresh new server
(its own Web API stand-in and database) for --duration seconds, with `--teams-clients` clients (default 4; 2 with
--smoke) and no Slack clients. They send Teams personal-chat message activities to POST /api/messages, each with
a unique id, its own conversation and a serviceUrl pointing at a Bot Connector stand-in (this script with
`--connector-stand-in`, in a process of its own) that counts the replies per activity
(`POST /v3/conversations/{id}/activities/{replyToId}`). That server runs with
CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED=true and TEAMS_ALLOW_ANY_SERVICE_URL=true, as in
tests/teams. Teams gets its own row in the new server's report (and "teams" in its JSON): requests/s, p50/p99
acknowledgement, errors, exactly one reply per activity, and the server's CPU per activity in that phase.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import queue
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from benchlib import ROOT, Goal, clean_floats, fmt, load_average, machine, machine_line, percentile_ms, table
from benchlib import write_json as write_json_file

if str(ROOT) not in sys.path:  # the Slack stand-ins live with the tests, importable without pytest
    sys.path.insert(0, str(ROOT))

from tests.slack.stand_ins import wire  # noqa: E402
from tests.slack.stand_ins.web_api import COUNTS_PATH  # noqa: E402

GOAL_RPS = 250.0
GOAL_P99_MS = 300.0
GOAL_RATIO = 1.0
DEFAULT_BASELINE = "08334f3"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
KINDS = ("command", "dm", "click")
TEAMS_PATH = "/api/messages"
TEAMS_ENV = {  # as tests/teams: no Bot Framework credentials, and replies may go to a loopback serviceUrl
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "true",
    "TEAMS_ALLOW_ANY_SERVICE_URL": "true",
}
TEAMS_BOT = {"id": "28:00000000-0000-0000-0000-0000000000b0", "name": "physio-career"}
TEAMS_TENANT = "72f988bf-0000-0000-0000-000000000001"
REPLY_PATH = re.compile(r"^/v3/conversations/(?P<conversation>.+?)/activities(?:/(?P<reply_to>[^/]+))?$")
CLICKABLE = ("ask_question", "choose_question", "show_topic")  # answered in place: one response_url post each
FALLBACK_QUESTIONS = [
    "how do I get from band 5 to band 6",
    "what does a band 3 physio assistant do",
    "band5",
    "can I do an apprenticeship to become a physio",
    "what is the CSP associate membership",
    "is there an AP role",
]


# --- the servers ------------------------------------------------------------------------------------------
@dataclass
class Target:
    """A server to put under load: how to start it, and what it is."""

    name: str  # "new" or "baseline"
    label: str
    command: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    knowledge: str = ""


def new_target() -> Target:
    # `python -m bot.cli` with PYTHONPATH set to this tree, as the baseline: the venv's `physio-career` script
    # would import `bot` from wherever the venv's editable install points (another checkout, for a git worktree)
    return Target(
        "new",
        "new (aiohttp worker)",
        [sys.executable, "-m", "bot.cli"],
        ROOT,
        env={"PYTHONPATH": str(ROOT)},
        knowledge=str(ROOT / "knowledge"),
    )


def baseline_target(worktree: Path, rev: str) -> Target:
    return Target(
        "baseline",
        f"baseline {rev} (gthread WSGI)",
        [sys.executable, "-m", "bot.cli"],
        worktree,
        env={"PYTHONPATH": str(worktree)},
        knowledge=f"{rev}:knowledge/",
    )


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout.strip()


@contextmanager
def baseline_worktree(rev: str) -> Iterator[tuple[Path, str]]:
    """A detached worktree of `rev` in a temporary folder, and its short commit; removed afterwards."""
    commit = git("rev-parse", "--verify", "--short", f"{rev}^{{commit}}")
    tmp = Path(tempfile.mkdtemp(prefix="physio-bench-baseline-"))
    path = tmp / "src"
    try:
        git("worktree", "add", "--detach", str(path), commit)
    except RuntimeError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        yield path, commit
    finally:
        try:
            git("worktree", "remove", "--force", str(path))
        except RuntimeError as exc:
            print(f"   warning: {exc}; running git worktree prune", file=sys.stderr)
            shutil.rmtree(path, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True, timeout=60, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port: int, timeout: float = 1.0) -> dict | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", HEALTH_PATH)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
    except OSError:
        return None
    if resp.status != 200:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return {}


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> tuple[float, dict]:
    """Poll GET /healthz until 200; the seconds it took and what it said. Raises if the server exits or never
    answers."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before answering {HEALTH_PATH}")
        said = health(port)
        if said is not None:
            return time.perf_counter() - started, said
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {HEALTH_PATH} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and its gunicorn workers (its own process group, started by us)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a process and its direct children (the gunicorn master and workers); Linux."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
            ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
            if int(entry.name) == pid or ppid == pid:
                total += (utime + stime) / tick
        return total
    except (OSError, ValueError, IndexError):
        return None


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the Web API stand-in, in a process of its own ------------------------------------------------------------
class StandIn:
    """`tests/slack/stand_ins/web_api.py` in its own process (so it does not share the load clients' interpreter
    lock), checking every message against Slack's Block Kit limits; its counts come over HTTP."""

    COMMAND = ["-m", "tests.slack.stand_ins.web_api", "--check", "--keep-alive"]
    WHAT = "the Web API stand-in"

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *self.COMMAND], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()  # the process prints its address when it is ready
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError(f"{self.WHAT} did not start")
        self.api_url = self.url + "/api/"
        self.service_url = self.url + "/"
        self.port = int(self.url.rsplit(":", 1)[1])

    def counts(self) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", COUNTS_PATH)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the Bot Connector stand-in, in a process of its own --------------------------------------------------------
def serve_connector() -> None:
    """`load.py --connector-stand-in`: a Bot Connector stand-in on a free loopback port that prints its URL, counts
    the message replies per activity replied to (the id at the end of the path), and serves its counts at
    GET COUNTS_PATH; until stdin closes."""
    replies: Counter = Counter()
    other: Counter = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            with lock:
                self._answer({"replies": dict(replies), "other": dict(other)})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            match = REPLY_PATH.match(unquote(self.path.split("?", 1)[0]))
            with lock:
                if match and match.group("reply_to") and body.get("type") == "message":
                    replies[match.group("reply_to")] += 1
                else:
                    other[f"{self.command} {body.get('type') or '?'}"] += 1
                n = sum(replies.values()) + sum(other.values())
            self._answer({"id": f"reply-{n}"})

        do_PUT = do_POST  # noqa: N815

        def log_message(self, *args: object) -> None:
            return None

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the bench closes our stdin (or ends us)
    server.shutdown()


class Connector(StandIn):
    """`serve_connector` in its own process; its counts come over HTTP."""

    COMMAND = [str(Path(__file__).resolve()), "--connector-stand-in"]
    WHAT = "the Bot Connector stand-in"


class StandInless:
    """No connector (the baseline, or --no-teams)."""

    service_url = ""

    def __enter__(self) -> StandInless:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# --- clients ----------------------------------------------------------------------------------------------
@dataclass
class Mix:
    dm: float
    click: float


@dataclass
class ClientLog:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: Counter = field(default_factory=Counter)
    dm_channels: list[str] = field(default_factory=list)  # DMs the server acknowledged with 200
    click_hooks: list[str] = field(default_factory=list)  # response URL paths of clicks acknowledged with 200
    empty_answers: int = 0
    started: float = 0.0  # wall clock (time.time), comparable across processes
    ended: float = 0.0
    cpu_s: float = 0.0  # the client process's CPU during the load
    teams_latencies: list[float] = field(default_factory=list)
    teams_errors: Counter = field(default_factory=Counter)
    teams_ids: list[str] = field(default_factory=list)  # activities the server acknowledged

    def merge(self, other: ClientLog) -> None:
        for kind in KINDS:
            self.latencies[kind].extend(other.latencies[kind])
        self.errors.update(other.errors)
        self.teams_latencies.extend(other.teams_latencies)
        self.teams_errors.update(other.teams_errors)
        self.teams_ids.extend(other.teams_ids)
        self.dm_channels.extend(other.dm_channels)
        self.click_hooks.extend(other.click_hooks)
        self.empty_answers += other.empty_answers
        self.started = min(self.started or other.started, other.started)
        self.ended = max(self.ended, other.ended)
        self.cpu_s += other.cpu_s


def clickable(blocks: list[dict]) -> tuple[dict, dict] | None:
    """A button of a slash-command answer that is answered where it was clicked, with its block."""
    for prefix in CLICKABLE:
        try:
            return wire.find_button(blocks, prefix)
        except AssertionError:
            continue
    return None


@dataclass(frozen=True)
class Job:
    """What one client process needs (it is pickled into the process)."""

    port: int
    secret: str
    hooks_base: str
    questions: tuple[str, ...]
    duration: float
    mix: Mix
    seed: int
    clients: int = 0  # Slack clients: 0 .. clients-1; Teams clients after them
    teams_clients: int = 0
    service_url: str = ""  # the Bot Connector stand-in's


def teams_activity(question: str, n: int, user: int, service_url: str) -> dict:
    """A Teams personal-chat message to the bot, as the Bot Connector posts it (cf. tests/teams/fakes.personal),
    with a unique id and conversation."""
    return {
        "type": "message",
        "id": f"bench-{n}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:1bench-member-{user}", "name": "Bench Member", "aadObjectId": f"6f0c0000-{user:032d}"},
        "recipient": dict(TEAMS_BOT),
        "conversation": {"tenantId": TEAMS_TENANT, "id": f"a:1bench-{n}", "conversationType": "personal"},
        "channelData": {"tenant": {"id": TEAMS_TENANT}},
        "locale": "en-GB",
        "text": question,
        "textFormat": "plain",
    }


def teams_client(
    i: int, job: Job, deadline: float, log: ClientLog, numbers: Iterator[int], lock: threading.Lock
) -> None:
    """Teams client `i`: one keep-alive connection, personal-chat messages back to back until `deadline`."""
    rng = random.Random(job.seed * 1000 + i)
    conn = http.client.HTTPConnection("127.0.0.1", job.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    while time.perf_counter() < deadline:
        with lock:
            n = next(numbers)
        activity = teams_activity(rng.choice(job.questions), n, rng.randrange(500), job.service_url)
        body = json.dumps(activity).encode()
        t0 = time.perf_counter()
        try:
            conn.request("POST", TEAMS_PATH, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException) as exc:
            log.teams_errors[type(exc).__name__] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", job.port, timeout=10)
            continue
        elapsed = time.perf_counter() - t0
        if resp.status not in (200, 201, 202):
            log.teams_errors[f"HTTP {resp.status}"] += 1
            continue
        log.teams_latencies.append(elapsed)
        log.teams_ids.append(activity["id"])
    conn.close()


def client(i: int, job: Job, deadline: float, log: ClientLog, numbers: Iterator[int], lock: threading.Lock) -> None:
    """Client `i`: one keep-alive connection, requests back to back until `deadline` (perf_counter)."""
    rng = random.Random(job.seed * 1000 + i)  # client i asks the same questions of every server
    conn = http.client.HTTPConnection("127.0.0.1", job.port, timeout=10)
    button: tuple[dict, dict] | None = None  # from this client's last slash-command answer
    while time.perf_counter() < deadline:
        with lock:
            n = next(numbers)
        draw, user, question = rng.random(), f"U1{rng.randrange(500):06d}", rng.choice(job.questions)
        kind = "dm" if draw < job.mix.dm else "click" if draw < job.mix.dm + job.mix.click and button else "command"
        channel = f"D{n:010d}"
        hook = f"/hooks/bench-click/{n}"
        if kind == "dm":
            ts = f"{int(time.time())}.{n % 1_000_000:06d}"
            envelope = wire.dm_event(
                question,
                event_id=f"EvB{n:011d}",
                user=user,
                channel=channel,
                ts=ts,
                event_ts=ts,
                client_msg_id=f"00000000-0000-4000-8000-{n:012d}",
            )
            request = wire.Wire.event(envelope)
        elif kind == "click":
            assert button is not None
            payload = wire.click(*button, where="ephemeral", user=user, hooks_base=job.hooks_base)
            payload["response_url"] = job.hooks_base + hook
            request = wire.Wire.interactive(payload)
        else:
            request = wire.Wire.form(wire.command_fields(question, user=user, hooks_base=job.hooks_base))
        headers = request.headers(secret=job.secret)
        t0 = time.perf_counter()
        try:
            conn.request("POST", EVENTS_PATH, body=request.raw.encode(), headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            log.errors[f"{kind}: {type(exc).__name__}"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", job.port, timeout=10)
            continue
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            log.errors[f"{kind}: HTTP {resp.status}"] += 1
            continue
        log.latencies[kind].append(elapsed)
        if kind == "dm":
            log.dm_channels.append(channel)
        elif kind == "click":
            log.click_hooks.append(hook)
            button = None  # one click per answer, as a member would
        else:
            try:
                answer = json.loads(data or b"{}")
            except ValueError:
                answer = {}
            if not (answer.get("text") or answer.get("blocks")):
                log.empty_answers += 1
            button = clickable(answer.get("blocks") or []) or button
    conn.close()


def client_process(index: int, clients: Sequence[int], job: Job, ready, go, results) -> None:
    """One load process: threads for `clients` (their global numbers), started together when `go` is set."""
    logs = [ClientLog() for _ in clients]
    numbers, lock = itertools.count((index + 1) * 100_000_000), threading.Lock()  # unique across processes
    ready.put(index)
    go.wait()
    cpu_before, started = own_cpu(), time.time()
    deadline = time.perf_counter() + job.duration
    threads = [
        threading.Thread(
            target=teams_client if i >= job.clients else client,
            args=(i, job, deadline, log, numbers, lock),
            daemon=True,
        )
        for i, log in zip(clients, logs, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=job.duration + 30)
    merged = ClientLog()
    for log in logs:
        merged.merge(log)
    merged.started, merged.ended, merged.cpu_s = started, time.time(), own_cpu() - cpu_before
    results.put(merged)


def run_clients(job: Job, clients: int, processes: int) -> ClientLog:
    """`clients` clients over `processes` processes (Slack's requests come from many machines, not from one
    interpreter); their logs merged."""
    ctx = multiprocessing.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    groups = [list(range(clients + job.teams_clients))[p::processes] for p in range(processes)]
    procs = [
        ctx.Process(target=client_process, args=(p, group, job, ready, go, results), daemon=True)
        for p, group in enumerate(groups)
        if group
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=60)
    go.set()
    merged = ClientLog()
    for _ in procs:
        merged.merge(results.get(timeout=job.duration + 90))
    for proc in procs:
        proc.join(timeout=10)
    return merged


def load_questions() -> list[str]:
    try:
        import yaml

        data = yaml.safe_load((ROOT / "knowledge" / "examples" / "tuning.yaml").read_text(encoding="utf-8"))
        qs = [str(item["q"]) for item in data["questions"] if item.get("q")]
        return qs or FALLBACK_QUESTIONS
    except (OSError, KeyError, TypeError, ValueError):
        return FALLBACK_QUESTIONS


BRAIN_TIMING = """
import json, sys, time
try:
    from bot.brain.lint import load_knowledge
except ImportError:
    from bot.brain.knowledge import load_knowledge
from bot.brain.reply import Answerer
questions = json.load(open(sys.argv[1], encoding="utf-8"))
answerer = Answerer(load_knowledge("knowledge"))
for q in questions[:50]:
    answerer.reply(q)
started = time.process_time()
for q in questions:
    answerer.reply(q)
print(json.dumps({"ms_per_question": 1000 * (time.process_time() - started) / len(questions)}))
"""


def brain_cost(target: Target, questions: Sequence[str], env: dict[str, str]) -> float | None:
    """CPU ms per question of the target's own brain on its own knowledge (one thread, after a warm-up): the part
    of each request that is not the server."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(list(questions), f)
    try:
        done = subprocess.run(
            [sys.executable, "-c", BRAIN_TIMING, f.name],
            cwd=target.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return float(json.loads(done.stdout.strip().splitlines()[-1])["ms_per_question"])
    except (subprocess.SubprocessError, ValueError, KeyError, IndexError, OSError):
        return None
    finally:
        os.unlink(f.name)


# --- one server under load --------------------------------------------------------------------------------
def run_target(target: Target, args, questions: Sequence[str], *, teams: bool = False) -> dict:
    """One server under load: the Slack clients (`teams=False`, the side-by-side phase), or the Teams clients
    alone (`teams=True`, the new server's Teams phase: its result's "teams" holds the numbers)."""
    secret = secrets.token_hex(16)
    tmp = Path(tempfile.mkdtemp(prefix=f"physio-bench-load-{target.name}{'-teams' if teams else ''}-"))
    result: dict = {"server": target.label, "knowledge": target.knowledge}
    slack_clients = 0 if teams else args.clients
    teams_clients = args.teams_clients if teams else 0
    processes = min(args.client_processes, slack_clients + teams_clients)
    with StandIn() as slack, Connector() if teams else StandInless() as connector:
        port = free_port()
        dropped = {"DATABASE_URL", "PORT", "KNOWLEDGE_DIR", "PYTHONPATH", "WEB_CONCURRENCY", "THREADS", "LOG_LEVEL"}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_")) and k not in dropped}
        env.update(
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
            LOG_LEVEL=args.log_level,
            **target.env,
        )
        if teams:
            env.update(TEAMS_ENV)
        if args.server_workers:
            env["WEB_CONCURRENCY"] = str(args.server_workers)
        if args.server_threads:
            env["THREADS"] = str(args.server_threads)  # the baseline's threads per worker; the new one has none
        log_path = tmp / "server.log"
        cmd = [*target.command, "serve", "--http", "--port", str(port)]
        shown = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))
        print(f"-- {target.label}{', Teams phase' if teams else ''}: {shown}", flush=True)
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                cmd, cwd=target.cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        failure: Exception | None = None
        try:
            result["startup_s"], said = wait_healthy(port, proc, args.startup_timeout)
            result["entries"] = said.get("entries")
            print(
                f"   healthy after {result['startup_s']:.2f} s ({result['entries']} entries); "
                f"{teams_clients if teams else slack_clients} {'Teams' if teams else 'Slack'} clients "
                f"in {processes} processes for {args.duration:g} s...",
                flush=True,
            )
            job = Job(
                port,
                secret,
                slack.url,
                tuple(questions),
                args.duration,
                Mix(args.dm_share, args.click_share),
                args.seed,
                clients=slack_clients,
                teams_clients=teams_clients,
                service_url=connector.service_url if teams else "",
            )
            server_before, stand_in_before = tree_cpu(proc.pid), tree_cpu(slack.proc.pid)
            log = run_clients(job, slack_clients, processes)
            server_after, stand_in_after = tree_cpu(proc.pid), tree_cpu(slack.proc.pid)
            result["load_average_1m"] = load_average()  # the machine is shared: how busy it was, at the end
            elapsed = log.ended - log.started
            load_cpu = server_after - server_before if server_before is not None and server_after is not None else None
            stand_in_cpu = (
                stand_in_after - stand_in_before if stand_in_before is not None and stand_in_after is not None else None
            )

            # replies to DMs and clicks come after the acknowledgement: wait for the stragglers
            settle_start = time.perf_counter()
            while True:
                seen = slack.counts()
                waiting = sum(1 for c in log.dm_channels if not seen["posts"].get(c)) + sum(
                    1 for h in log.click_hooks if not seen["hooks"].get(h)
                )
                if teams:
                    answered = connector.counts()["replies"]
                    waiting += sum(1 for a in log.teams_ids if not answered.get(a))
                if not waiting or time.perf_counter() - settle_start > args.settle:
                    break
                time.sleep(0.2)
            time.sleep(min(0.5, args.settle))  # a last moment for duplicates to show up
            seen = slack.counts()
            teams_seen = connector.counts() if teams else {"replies": {}, "other": {}}
            settle_s = time.perf_counter() - settle_start
        except (RuntimeError, OSError, ValueError, queue.Empty) as exc:
            failure = exc
        finally:
            stop(proc)
            server_log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
            shutil.rmtree(tmp, ignore_errors=True)
        if failure is not None:
            tail = "\n".join(server_log.splitlines()[-20:])
            raise RuntimeError(
                f"{target.label}: {str(failure) or type(failure).__name__}\nLast lines of its log:\n{tail}"
            )
        result["brain_ms_per_question"] = None if teams else brain_cost(target, questions, env)
        if proc.returncode not in (0, -signal.SIGTERM, None):
            result["server_exit_code"] = proc.returncode

    posts, hooks = Counter(seen["posts"]), Counter(seen["hooks"])
    dm_channels, click_hooks = log.dm_channels, log.click_hooks
    lat = log.latencies
    every = [x for k in KINDS for x in lat[k]]
    errors = log.errors
    dm_replies = Counter(posts.get(c, 0) for c in dm_channels)
    click_replies = Counter(hooks.get(h, 0) for h in click_hooks)
    sent = set(dm_channels)
    result.update(
        elapsed_s=elapsed,
        requests=len(every),
        rps=len(every) / elapsed if elapsed else 0.0,
        p50_ms=percentile_ms(every, 50),
        p99_ms=percentile_ms(every, 99),
        max_ms=1000.0 * max(every) if every else None,
        by_kind={
            k: {
                "n": len(v),
                "p50_ms": percentile_ms(v, 50),
                "p99_ms": percentile_ms(v, 99),
                "max_ms": 1000.0 * max(v) if v else None,
            }
            for k, v in lat.items()
        },
        errors=sum(errors.values()),
        error_kinds=dict(errors),
        empty_command_answers=log.empty_answers,
        dms_acknowledged=len(dm_channels),
        dms_with_one_reply=dm_replies.get(1, 0),
        dms_without_reply=dm_replies.get(0, 0),
        dms_with_several_replies=sum(v for k, v in dm_replies.items() if k > 1),
        posts_to_unknown_channels=sum(n for c, n in posts.items() if c not in sent),
        clicks_acknowledged=len(click_hooks),
        clicks_with_one_reply=click_replies.get(1, 0),
        replies_slack_would_reject=seen["problem_count"],
        reject_examples=seen["problems"][:5],
        web_api_calls=seen["counts"],
        settle_s=settle_s,
        client_cpu_s=log.cpu_s,
        stand_in_cpu_s=stand_in_cpu,
        server_load_cpu_s=load_cpu,
        server_cpu_ms_per_request=(
            1000.0 * load_cpu / len(every) if load_cpu is not None and every and not teams else None
        ),
    )
    if teams:
        tl, replied = log.teams_latencies, Counter(teams_seen["replies"])
        per_activity = Counter(replied.get(a, 0) for a in log.teams_ids)
        acknowledged = set(log.teams_ids)
        result["teams"] = {
            "clients": teams_clients,
            "elapsed_s": elapsed,
            "requests": len(tl),
            "rps": len(tl) / elapsed if elapsed else 0.0,
            "p50_ms": percentile_ms(tl, 50),
            "p99_ms": percentile_ms(tl, 99),
            "max_ms": 1000.0 * max(tl) if tl else None,
            "errors": sum(log.teams_errors.values()),
            "error_kinds": dict(log.teams_errors),
            "activities_acknowledged": len(log.teams_ids),
            "with_one_reply": per_activity.get(1, 0),
            "without_reply": per_activity.get(0, 0),
            "with_several_replies": sum(v for k, v in per_activity.items() if k > 1),
            "replies_to_unknown_activities": sum(n for a, n in replied.items() if a not in acknowledged),
            "other_connector_calls": teams_seen["other"],
            "startup_s": result["startup_s"],
            "server_load_cpu_s": load_cpu,
            "server_cpu_ms_per_request": 1000.0 * load_cpu / len(tl) if load_cpu is not None and tl else None,
        }
    t = result.get("teams") or {}
    if (
        result["errors"]
        or result["dms_without_reply"]
        or result["dms_with_several_replies"]
        or t.get("errors")
        or (t and t["with_one_reply"] != t["activities_acknowledged"])
    ):
        result["server_log_tail"] = "\n".join(server_log.splitlines()[-15:])
    return result


# --- reporting --------------------------------------------------------------------------------------------
LABELS = {
    "command": "slash commands (answer in the ack)",
    "dm": "DM events (ack; reply posted)",
    "click": "button clicks (ack; reply to response_url)",
}


def report(r: dict) -> str:
    everything = "all Slack requests" if r.get("teams") else "all requests"
    rows = [[everything, fmt(r["requests"]), fmt(r["rps"], 0), fmt(r["p50_ms"], 1), fmt(r["p99_ms"], 1)]]
    rows[0].append(fmt(r["max_ms"], 1))
    for kind in KINDS:
        k = r["by_kind"][kind]
        per_s = k["n"] / r["elapsed_s"] if r["elapsed_s"] else 0
        rows.append(
            [LABELS[kind], fmt(k["n"]), fmt(per_s, 0), fmt(k["p50_ms"], 1), fmt(k["p99_ms"], 1), fmt(k["max_ms"], 1)]
        )
    t = r.get("teams")
    if t:
        rows.append(
            [
                f"Teams personal messages ({t['clients']} clients, own phase of {t['elapsed_s']:.1f} s; ack; "
                "reply posted)",
                fmt(t["requests"]),
                fmt(t["rps"], 0),
                fmt(t["p50_ms"], 1),
                fmt(t["p99_ms"], 1),
                fmt(t["max_ms"], 1),
            ]
        )
    head = table(
        ["traffic", "requests", "req/s", "p50 ack ms", "p99 ack ms", "max ms"],
        rows,
        f"{r['server']}: {r['elapsed_s']:.1f} s, {r['entries']} entries from {r['knowledge']}; machine load average "
        f"{fmt(r.get('load_average_1m'), 2)} at the end",
    )
    errors = fmt(r["errors"]) + (f"  {r['error_kinds']}" if r["errors"] else "")
    rejected = fmt(r["replies_slack_would_reject"]) + (
        f"  e.g. {r['reject_examples'][0]}" if r["reject_examples"] else ""
    )
    brain = "" if r.get("brain_ms_per_question") is None else f"{r['brain_ms_per_question']:.2f} ms"
    checks = [
        ["errors (non-200 or connection failures)", errors],
        ["slash commands acknowledged without an answer", fmt(r["empty_command_answers"])],
        [
            "DMs acknowledged / exactly one reply / none / several",
            f"{r['dms_acknowledged']:,} / {r['dms_with_one_reply']:,} / {r['dms_without_reply']:,} / "
            f"{r['dms_with_several_replies']:,}",
        ],
        ["replies to channels we never wrote from", fmt(r["posts_to_unknown_channels"])],
        ["clicks acknowledged / exactly one reply", f"{r['clicks_acknowledged']:,} / {r['clicks_with_one_reply']:,}"],
        ["messages Slack would reject (Block Kit limits)", rejected],
        *(
            [
                [
                    "Teams: errors / activities acknowledged / exactly one reply / none / several",
                    f"{t['errors']:,}{'  ' + str(t['error_kinds']) if t['errors'] else ''} / "
                    f"{t['activities_acknowledged']:,} / {t['with_one_reply']:,} / {t['without_reply']:,} / "
                    f"{t['with_several_replies']:,}",
                ],
                ["Teams: replies to activities we never sent", fmt(t["replies_to_unknown_activities"])],
                [
                    "Teams: CPU, server processes during its phase",
                    f"{fmt(t['server_load_cpu_s'], 1)} s = {fmt(t['server_cpu_ms_per_request'], 2)} ms per activity",
                ],
            ]
            if t
            else []
        ),
        ["Web API calls seen by the stand-in", ", ".join(f"{k} {v:,}" for k, v in sorted(r["web_api_calls"].items()))],
        ["server start-up (spawn to healthy)", f"{r['startup_s']:.2f} s"],
        [
            "CPU, server processes during the load",
            f"{fmt(r['server_load_cpu_s'], 1)} s = {fmt(r['server_cpu_ms_per_request'], 2)} ms per request",
        ],
        ["  of which the brain, per question (one thread, its own knowledge)", brain],
        [
            "CPU during the load: load clients / Web API stand-in",
            f"{r['client_cpu_s']:.1f} s / {fmt(r['stand_in_cpu_s'], 1)} s",
        ],
    ]
    return head + "\n\n" + table(["check", "value"], checks)


def replies_ok(r: dict) -> bool:
    return (
        r["dms_acknowledged"] > 0
        and r["dms_with_one_reply"] == r["dms_acknowledged"]
        and r["posts_to_unknown_channels"] == 0
        and r["clicks_with_one_reply"] == r["clicks_acknowledged"]
    )


def goals(r: dict) -> list[Goal]:
    """The goals of issue 9 for one server."""
    errors = r["errors"] + r["empty_command_answers"]
    return [
        Goal("throughput", f"{r['rps']:.0f} req/s", f">= {GOAL_RPS:.0f} req/s", r["rps"] >= GOAL_RPS),
        Goal("p99 acknowledgement", f"{r['p99_ms']:.0f} ms", f"< {GOAL_P99_MS:.0f} ms", r["p99_ms"] < GOAL_P99_MS),
        Goal("errors", str(errors), "0", errors == 0),
        Goal(
            "exactly one reply per DM (and per click)",
            f"{r['dms_with_one_reply']:,} of {r['dms_acknowledged']:,} ({r['clicks_with_one_reply']:,} of "
            f"{r['clicks_acknowledged']:,})",
            "all",
            replies_ok(r),
        ),
    ]


def ratios(new: dict, base: dict) -> dict:
    return {
        "rps": new["rps"] / base["rps"] if base["rps"] else None,
        "p99": new["p99_ms"] / base["p99_ms"] if base["p99_ms"] else None,
        "p50": new["p50_ms"] / base["p50_ms"] if base["p50_ms"] else None,
        "cpu_per_request": (
            new["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"]
            if new.get("server_cpu_ms_per_request") and base.get("server_cpu_ms_per_request")
            else None
        ),
    }


def comparison(new: dict, base: dict, ratio: dict) -> str:
    def x(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}x"

    rows = [
        ["requests/s (higher is better)", fmt(new["rps"], 0), fmt(base["rps"], 0), x(ratio["rps"])],
        ["p99 acknowledgement ms (lower is better)", fmt(new["p99_ms"], 1), fmt(base["p99_ms"], 1), x(ratio["p99"])],
        ["p50 acknowledgement ms", fmt(new["p50_ms"], 1), fmt(base["p50_ms"], 1), x(ratio["p50"])],
        [
            "server CPU ms per request",
            fmt(new["server_cpu_ms_per_request"], 2),
            fmt(base["server_cpu_ms_per_request"], 2),
            x(ratio["cpu_per_request"]),
        ],
        [
            "  of which the brain, per question",
            fmt(new.get("brain_ms_per_question"), 2),
            fmt(base.get("brain_ms_per_question"), 2),
            "",
        ],
        ["requests", fmt(new["requests"]), fmt(base["requests"]), ""],
        ["errors", fmt(new["errors"]), fmt(base["errors"]), ""],
        [
            "DMs with exactly one reply",
            f"{new['dms_with_one_reply']:,} of {new['dms_acknowledged']:,}",
            f"{base['dms_with_one_reply']:,} of {base['dms_acknowledged']:,}",
            "",
        ],
    ]
    return table(["measured", new["server"], base["server"], "new / baseline"], rows, "Side by side")


def goals_table(new: dict, base: dict | None, ratio: dict | None) -> str:
    def mark(goal: Goal) -> str:
        return f"{'PASS' if goal.ok else 'FAIL'} {goal.measured}"

    new_goals = goals(new)
    base_goals = goals(base) if base else [None] * len(new_goals)
    rows = []
    if ratio is not None:
        ok = ratio["rps"] is not None and ratio["rps"] >= GOAL_RATIO
        rows.append(
            [
                "new / baseline requests/s",
                f">= {GOAL_RATIO:.1f}",
                f"{'PASS' if ok else 'FAIL'} {fmt(ratio['rps'], 2)}x (p99 {fmt(ratio['p99'], 2)}x)",
                "",
            ]
        )
    for g, b in zip(new_goals, base_goals, strict=True):
        rows.append([g.name, g.target, mark(g), mark(b) if b else "not run"])
    headers = ["goal (issue 9)", "target", new["server"], base["server"] if base else "baseline"]
    return table(headers, rows, f"Goals (issue 9), measured on {os.cpu_count()} core(s)")


# --- the run ----------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="3 s with 4 clients (for the tests)")
    p.add_argument("--duration", type=float, default=None, help="seconds of load per server (default 30; max 600)")
    p.add_argument("--clients", type=int, default=None, help="concurrent clients (default 16)")
    p.add_argument("--client-processes", type=int, default=None, help="processes the clients run in (default 4)")
    p.add_argument("--baseline", metavar="REV", default=DEFAULT_BASELINE, help=f"baseline commit ({DEFAULT_BASELINE})")
    p.add_argument("--no-baseline", action="store_true", help="the new server only")
    p.add_argument("--baseline-first", action="store_true", help="load the baseline first (default: the new one)")
    p.add_argument("--dm-share", type=float, default=0.45, help="share of requests that are DM events (0.45)")
    p.add_argument("--click-share", type=float, default=0.05, help="share that are button clicks (0.05)")
    p.add_argument("--settle", type=float, default=10.0, help="seconds to wait for late replies (default 10)")
    p.add_argument("--server-workers", type=int, default=None, help="WEB_CONCURRENCY for both (their default: 2)")
    p.add_argument("--server-threads", type=int, default=None, help="THREADS for the baseline (its default: 8)")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="seconds to wait for /healthz")
    p.add_argument("--log-level", default="WARNING", help="the servers' LOG_LEVEL (default WARNING)")
    p.add_argument(
        "--teams",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then a phase of Teams personal-chat activities on the new server alone (default: on)",
    )
    p.add_argument(
        "--teams-clients", type=int, default=None, help="clients in the Teams phase (default 4; 2 with --smoke)"
    )
    p.add_argument("--connector-stand-in", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.connector_stand_in:
        serve_connector()
        return 0
    args.teams_clients = args.teams_clients if args.teams_clients is not None else (2 if args.smoke else 4)
    if args.teams and not 0 <= args.teams_clients <= 512:
        print("load.py: --teams-clients must be 0-512", file=sys.stderr)
        return 2
    args.duration = args.duration if args.duration is not None else (3.0 if args.smoke else 30.0)
    args.clients = args.clients or (4 if args.smoke else 16)
    args.client_processes = min(args.client_processes or (2 if args.smoke else 4), args.clients)
    if not 0 < args.duration <= 600:
        print("load.py: --duration must be between 0 and 600 seconds", file=sys.stderr)
        return 2
    shares_ok = 0.0 <= args.dm_share and 0.0 <= args.click_share and args.dm_share + args.click_share <= 1.0
    if not 1 <= args.clients <= 512 or args.client_processes < 1 or not shares_ok:
        print("load.py: --clients must be 1-512, and --dm-share plus --click-share at most 1", file=sys.stderr)
        return 2
    print(machine_line())
    questions = load_questions()
    print(
        f"Load: {args.clients} clients x {args.duration:g} s per server; {args.dm_share:.0%} DMs, "
        f"{args.click_share:.0%} clicks (when the client has an answer to click on), the rest slash commands; "
        f"{len(questions)} questions, seed {args.seed}, the same sequence for each server"
        + (
            f"; then {args.teams_clients} Teams clients (personal-chat messages) alone on the new server, "
            f"{args.duration:g} s"
            if args.teams and args.teams_clients
            else ""
        )
    )
    results: dict[str, dict] = {}
    try:
        if args.no_baseline:
            results["new"] = run_target(new_target(), args, questions)
        else:
            with baseline_worktree(args.baseline) as (worktree, commit):
                targets = [new_target(), baseline_target(worktree, commit)]
                if args.baseline_first:
                    targets.reverse()
                print(
                    "Knowledge: each server answers from its own knowledge/; neither can load the other's format "
                    "(nor can the baseline load the fixture knowledge base in tests/data), so their answers, and "
                    "the brain's work per question, differ."
                )
                for target in targets:
                    results[target.name] = run_target(target, args, questions)
        if args.teams and args.teams_clients:  # its own phase, so the side-by-side Slack load is the same for both
            teams_run = run_target(new_target(), args, questions, teams=True)
            results["new"]["teams"] = teams_run["teams"]
            if teams_run.get("server_log_tail"):
                results["new"]["teams"]["server_log_tail"] = teams_run["server_log_tail"]
    except RuntimeError as exc:
        print(f"load.py: {exc}", file=sys.stderr)
        return 1
    new, base = results["new"], results.get("baseline")
    ratio = ratios(new, base) if base else None
    for r in [results[name] for name in results]:
        print()
        print(report(r))
    if base and ratio:
        print()
        print(comparison(new, base, ratio))
    print()
    print(goals_table(new, base, ratio))
    for r in results.values():
        if r.get("server_log_tail"):
            print(f"\nLast lines of the log of {r['server']}:\n" + r["server_log_tail"])
        if (r.get("teams") or {}).get("server_log_tail"):
            print(f"\nLast lines of the log of {r['server']}, Teams phase:\n" + r["teams"]["server_log_tail"])
    out = {
        "benchmark": "load",
        "machine": machine(),
        "clients": args.clients,
        "duration_s": args.duration,
        "mix": {"dm": args.dm_share, "click": args.click_share},
        "teams_clients": args.teams_clients if args.teams else 0,
        "servers": results,
        "ratio": ratio,
        "goals": {name: [g.as_json() for g in goals(r)] for name, r in results.items()},
    }
    write_json_file(args.json, clean_floats(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
