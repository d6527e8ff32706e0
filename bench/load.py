"""The real HTTP server under load: signed slash commands and DM events from concurrent clients, on loopback.

    python bench/load.py                    # 30 s, 16 clients
    python bench/load.py --duration 10 --clients 32
    python bench/load.py --smoke            # 3 s, 4 clients (what the test suite runs)

It starts `physio-career serve --http --port <free port>` as a subprocess, with the Slack Web API pointed at a
recording stand-in started here (a threaded http.server on another free loopback port: `auth.test` answers as
our bot U0002/B0001 in T0001, `chat.postMessage` and everything else answer ok, `response_url` hooks too). The
environment is SLACK_BOT_TOKEN=xoxb-bench, a random SLACK_SIGNING_SECRET and a throw-away SQLite DATABASE_URL.

N client threads each keep one HTTP/1.1 connection and send, back to back, signed requests to
POST /slack/events: slash commands (the answer comes back in the acknowledgement) and DM message events (the
server acknowledges, then posts the answer with chat.postMessage), each DM with a unique event_id and its own
DM channel, so the stand-in can check that every DM got exactly one reply. Questions come from the labelled
evaluation set. Nothing leaves the machine; the run stops by itself after --duration seconds and stops the
processes it started.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
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
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchlib import ROOT, Goal, clean_floats, fmt, goals_block, machine, machine_line, percentile_ms, table
from benchlib import write_json as write_json_file

GOAL_RPS = 200.0
GOAL_P99_MS = 300.0
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
TEAM, BOT_USER, BOT_ID, APP = "T0001", "U0002", "B0001", "A0001"
FALLBACK_QUESTIONS = [
    "how do I get from band 5 to band 6",
    "what does a band 3 physio assistant do",
    "band5",
    "can I do an apprenticeship to become a physio",
    "what is the CSP associate membership",
    "is there an AP role",
]


# --- the Slack Web API stand-in ---------------------------------------------------------------------------
class SlackStandIn:
    """A recording stand-in of the Slack Web API on a free loopback port; counts posts per channel."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.posts: Counter[str] = Counter()  # chat.postMessage per channel
        self.failures: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - silence the per-request log
                pass

            def do_GET(self):  # noqa: N802
                self._reply(404, {"ok": False, "error": "unknown_method"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/hooks/"):
                    stand_in._count("hooks")
                    self._reply(200, None)
                    return
                method = path.rsplit("/", 1)[-1]
                stand_in._count(method)
                if method == "auth.test":
                    self._reply(
                        200,
                        {
                            "ok": True,
                            "url": "https://physio-demo.slack.com/",
                            "team": "physio-demo",
                            "user": "physio-career-bot",
                            "team_id": TEAM,
                            "user_id": BOT_USER,
                            "bot_id": BOT_ID,
                            "is_enterprise_install": False,
                        },
                    )
                    return
                if method == "chat.postMessage":
                    body = _parse(raw, self.headers.get("Content-Type") or "")
                    channel = str(body.get("channel") or "")
                    if not (body.get("text") or body.get("blocks")):
                        stand_in._fail(f"chat.postMessage to {channel} without text or blocks")
                    with stand_in.lock:
                        stand_in.posts[channel] += 1
                        ts = f"{int(time.time())}.{sum(stand_in.posts.values()):06d}"
                    self._reply(200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": "", "ts": ts}})
                    return
                self._reply(200, {"ok": True})

            def _reply(self, status: int, payload: dict | None) -> None:
                data = b"ok" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if payload is None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-stand-in", daemon=True
        )

    def _count(self, method: str) -> None:
        with self.lock:
            self.calls[method] += 1

    def _fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    def __enter__(self) -> SlackStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts_to(self, channels: Sequence[str]) -> int:
        with self.lock:
            return sum(1 for c in channels if self.posts.get(c))


def _parse(raw: str, content_type: str) -> dict:
    if raw.startswith("{") or "json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            return {}
    return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))


# --- signed requests --------------------------------------------------------------------------------------
def sign(body: str, secret: str) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}"}


def slash_command(text: str, user: str, n: int, hooks_url: str) -> str:
    fields = {
        "token": "FAKEVERIFICATIONTOKEN0001",
        "team_id": TEAM,
        "team_domain": "physio-demo",
        "channel_id": "C0001",
        "channel_name": "physio-careers",
        "user_id": user,
        "user_name": "bench.user",
        "command": "/physio-career",
        "text": text,
        "api_app_id": APP,
        "is_enterprise_install": "false",
        "response_url": f"{hooks_url}/commands/{TEAM}/{n}/bench{n:08d}",
        "trigger_id": f"{n}.1000000001.0123456789abcdef",
    }
    return urllib.parse.urlencode(fields)


def dm_event(text: str, user: str, channel: str, event_id: str, n: int) -> str:
    now = time.time()
    ts = f"{int(now)}.{n % 1_000_000:06d}"
    return json.dumps(
        {
            "token": "FAKEVERIFICATIONTOKEN0001",
            "team_id": TEAM,
            "context_team_id": TEAM,
            "api_app_id": APP,
            "event": {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts,
                "team": TEAM,
                "channel": channel,
                "event_ts": ts,
                "channel_type": "im",
                "client_msg_id": f"00000000-0000-4000-8000-{n:012d}",
            },
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-bench-{n}",
        }
    )


# --- clients ----------------------------------------------------------------------------------------------
@dataclass
class ClientLog:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"command": [], "dm": []})
    errors: Counter = field(default_factory=Counter)
    dm_channels: list[str] = field(default_factory=list)  # DMs the server acknowledged with 200
    empty_answers: int = 0


def client(
    i: int,
    port: int,
    secret: str,
    hooks_url: str,
    questions: Sequence[str],
    deadline: float,
    dm_share: float,
    seed: int,
    log: ClientLog,
    counter,
    counter_lock: threading.Lock,
) -> None:
    rng = random.Random(seed * 1000 + i)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.perf_counter() < deadline:
        with counter_lock:
            n = next(counter)
        kind = "dm" if rng.random() < dm_share else "command"
        user = f"U1{rng.randrange(500):06d}"
        question = rng.choice(questions)
        channel = f"D{n:09d}"
        if kind == "dm":
            body, ctype = dm_event(question, user, channel, f"EvB{n:010d}", n), "application/json"
        else:
            body, ctype = slash_command(question, user, n, hooks_url), "application/x-www-form-urlencoded"
        headers = {"Content-Type": ctype, **sign(body, secret)}
        t0 = time.perf_counter()
        try:
            conn.request("POST", EVENTS_PATH, body=body.encode(), headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            log.errors[f"{kind}: {type(exc).__name__}"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            log.errors[f"{kind}: HTTP {resp.status}"] += 1
            continue
        log.latencies[kind].append(elapsed)
        if kind == "dm":
            log.dm_channels.append(channel)
        else:
            try:
                answer = json.loads(data or b"{}")
            except ValueError:
                answer = {}
            if not (answer.get("text") or answer.get("blocks")):
                log.empty_answers += 1
    conn.close()


# --- the server process -----------------------------------------------------------------------------------
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


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command() -> list[str]:
    script = Path(sys.executable).with_name("physio-career")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot.cli"]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> float:
    """Poll GET /healthz until 200; the seconds it took. Raises if the server exits or never answers."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before answering {HEALTH_PATH}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", HEALTH_PATH)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
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
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def load_questions() -> list[str]:
    try:
        import yaml

        data = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
        qs = [str(item["q"]) for item in data["questions"] if item.get("q")]
        return qs or FALLBACK_QUESTIONS
    except (OSError, KeyError, TypeError, ValueError):
        return FALLBACK_QUESTIONS


# --- the run ----------------------------------------------------------------------------------------------
def run(args) -> dict:
    secret = secrets.token_hex(16)
    tmp = Path(tempfile.mkdtemp(prefix="physio-bench-load-"))
    questions = load_questions()
    result: dict = {"clients": args.clients, "duration_s": args.duration, "dm_share": args.dm_share}
    with SlackStandIn() as slack:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in {"DATABASE_URL", "PORT"}}
        env.update(
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=slack.url + "/api/",
            DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
            LOG_LEVEL=args.log_level,
        )
        if args.server_workers:
            env["WEB_CONCURRENCY"] = str(args.server_workers)
        if args.server_threads:
            env["THREADS"] = str(args.server_threads)
        log_path = tmp / "server.log"
        cmd = [*server_command(), "serve", "--http", "--port", str(port)]
        print(
            f"   starting: {' '.join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))} "
            f"(Web API stand-in at {slack.url}/api/)",
            flush=True,
        )
        with log_path.open("wb") as log_file:
            children_before = _cpu(resource.RUSAGE_CHILDREN)
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            result["startup_s"] = wait_healthy(port, proc, args.startup_timeout)
            print(
                f"   server healthy after {result['startup_s']:.2f} s; {args.clients} clients for "
                f"{args.duration:g} s...",
                flush=True,
            )
            logs = [ClientLog() for _ in range(args.clients)]
            counter, counter_lock = iter(range(1, 10**12)), threading.Lock()
            started = time.perf_counter()
            own_before = _cpu(resource.RUSAGE_SELF)
            server_before = tree_cpu(proc.pid)
            deadline = started + args.duration
            threads = [
                threading.Thread(
                    target=client,
                    name=f"client-{i}",
                    daemon=True,
                    args=(
                        i,
                        port,
                        secret,
                        slack.url + "/hooks",
                        questions,
                        deadline,
                        args.dm_share,
                        args.seed,
                        logs[i],
                        counter,
                        counter_lock,
                    ),
                )
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=args.duration + 30)
            elapsed = time.perf_counter() - started
            own_cpu = _cpu(resource.RUSAGE_SELF) - own_before
            server_after = tree_cpu(proc.pid)
            load_cpu = server_after - server_before if server_before is not None and server_after is not None else None

            # stragglers: DM replies are posted after the acknowledgement
            dm_channels = [c for log in logs for c in log.dm_channels]
            settle_start = time.perf_counter()
            while time.perf_counter() - settle_start < args.settle and slack.posts_to(dm_channels) < len(dm_channels):
                time.sleep(0.05)
            time.sleep(min(0.5, args.settle))  # a last moment for duplicates to show up
            settle_s = time.perf_counter() - settle_start
        except RuntimeError as exc:
            failure: RuntimeError | None = exc
        else:
            failure = None
        finally:
            stop(proc)
            server_cpu = _cpu(resource.RUSAGE_CHILDREN) - children_before
            server_log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
            shutil.rmtree(tmp, ignore_errors=True)
        if failure is not None:
            tail = "\n".join(server_log.splitlines()[-20:])
            raise RuntimeError(f"{failure}\nLast lines of the server log:\n{tail}")
        if proc.returncode not in (0, -signal.SIGTERM, None):
            result["server_exit_code"] = proc.returncode

    lat = {k: [x for log in logs for x in log.latencies[k]] for k in ("command", "dm")}
    every = lat["command"] + lat["dm"]
    errors = Counter()
    for log in logs:
        errors.update(log.errors)
    posts = slack.posts
    sent = set(dm_channels)
    replies = Counter(posts.get(c, 0) for c in dm_channels)
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
        empty_command_answers=sum(log.empty_answers for log in logs),
        dms_acknowledged=len(dm_channels),
        dms_with_one_reply=replies.get(1, 0),
        dms_without_reply=replies.get(0, 0),
        dms_with_several_replies=sum(v for k, v in replies.items() if k > 1),
        posts_to_unknown_channels=sum(n for c, n in posts.items() if c not in sent),
        stand_in_failures=list(slack.failures[:5]),
        web_api_calls=dict(slack.calls),
        settle_s=settle_s,
        client_cpu_s=own_cpu,
        server_load_cpu_s=load_cpu,
        server_cpu_ms_per_request=1000.0 * load_cpu / len(every) if load_cpu is not None and every else None,
        server_cpu_s=server_cpu,
    )
    if result["errors"] or result["dms_without_reply"] or result["dms_with_several_replies"]:
        tail = "\n".join(server_log.splitlines()[-15:])
        result["server_log_tail"] = tail
    return result


def report(r: dict) -> str:
    rows = [
        [
            "all requests",
            fmt(r["requests"]),
            fmt(r["rps"], 0),
            fmt(r["p50_ms"], 1),
            fmt(r["p99_ms"], 1),
            fmt(r["max_ms"], 1),
        ],
    ]
    for kind, label in (("command", "slash commands (answer in the ack)"), ("dm", "DM events (ack; reply posted)")):
        k = r["by_kind"][kind]
        rows.append(
            [
                label,
                fmt(k["n"]),
                fmt(k["n"] / r["elapsed_s"] if r["elapsed_s"] else 0, 0),
                fmt(k["p50_ms"], 1),
                fmt(k["p99_ms"], 1),
                fmt(k["max_ms"], 1),
            ]
        )
    head = table(
        ["traffic", "requests", "req/s", "p50 ack ms", "p99 ack ms", "max ms"],
        rows,
        f"Under load: {r['clients']} clients, {r['elapsed_s']:.1f} s, loopback",
    )
    checks = [
        [
            "errors (non-200 or connection failures)",
            fmt(r["errors"]) + (f"  {r['error_kinds']}" if r["errors"] else ""),
        ],
        ["slash commands acknowledged without an answer", fmt(r["empty_command_answers"])],
        ["DMs acknowledged", fmt(r["dms_acknowledged"])],
        ["  with exactly one reply", fmt(r["dms_with_one_reply"])],
        ["  with no reply", fmt(r["dms_without_reply"])],
        ["  with more than one reply", fmt(r["dms_with_several_replies"])],
        ["replies to channels we never wrote from", fmt(r["posts_to_unknown_channels"])],
        ["Web API calls seen by the stand-in", ", ".join(f"{k} {v}" for k, v in sorted(r["web_api_calls"].items()))],
        ["server start-up (spawn to healthy)", f"{r['startup_s']:.2f} s"],
        ["CPU seconds, server processes (whole run, with start-up)", f"{r['server_cpu_s']:.1f} s"],
        [
            "CPU, server processes during the load",
            f"{fmt(r['server_load_cpu_s'], 1)} s = {fmt(r['server_cpu_ms_per_request'], 1)} ms per request",
        ],
        [
            "CPU seconds, load clients + stand-in (during the load)",
            f"{r['client_cpu_s']:.1f} s in {r['elapsed_s']:.1f} s on {os.cpu_count()} core(s)",
        ],
    ]
    return head + "\n\n" + table(["check", "value"], checks)


def goals(r: dict) -> list[Goal]:
    every_dm = r["dms_with_one_reply"] == r["dms_acknowledged"] and r["posts_to_unknown_channels"] == 0
    return [
        Goal("throughput", f"{r['rps']:.0f} req/s", f">= {GOAL_RPS:.0f} req/s", r["rps"] >= GOAL_RPS),
        Goal(
            "p99 acknowledgement latency", f"{r['p99_ms']:.0f} ms", f"< {GOAL_P99_MS:.0f} ms", r["p99_ms"] < GOAL_P99_MS
        ),
        Goal(
            "errors",
            str(r["errors"] + r["empty_command_answers"]),
            "0",
            r["errors"] == 0 and r["empty_command_answers"] == 0,
        ),
        Goal(
            "every DM got exactly one reply",
            f"{r['dms_with_one_reply']} of {r['dms_acknowledged']}",
            "all",
            every_dm and r["dms_acknowledged"] > 0,
        ),
    ]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="3 s with 4 clients (for the tests)")
    p.add_argument("--duration", type=float, default=None, help="seconds of load (default 30; at most 600)")
    p.add_argument("--clients", type=int, default=None, help="concurrent clients (default 16)")
    p.add_argument("--dm-share", type=float, default=0.5, help="share of requests that are DM events (default 0.5)")
    p.add_argument("--settle", type=float, default=10.0, help="seconds to wait for late DM replies (default 10)")
    p.add_argument("--server-workers", type=int, default=None, help="WEB_CONCURRENCY for the server (its default)")
    p.add_argument("--server-threads", type=int, default=None, help="THREADS for the server (its default)")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="seconds to wait for /healthz")
    p.add_argument("--log-level", default="WARNING", help="the server's LOG_LEVEL (default WARNING)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.duration = args.duration if args.duration is not None else (3.0 if args.smoke else 30.0)
    args.clients = args.clients or (4 if args.smoke else 16)
    if not 0 < args.duration <= 600:
        print("load.py: --duration must be between 0 and 600 seconds", file=sys.stderr)
        return 2
    if not 1 <= args.clients <= 512 or not 0.0 <= args.dm_share <= 1.0:
        print("load.py: --clients must be 1-512 and --dm-share 0-1", file=sys.stderr)
        return 2
    print(machine_line())
    try:
        r = run(args)
    except RuntimeError as exc:
        print(f"load.py: {exc}", file=sys.stderr)
        return 1
    print()
    print(report(r))
    gs = goals(r)
    print()
    print(goals_block(gs))
    if r.get("server_log_tail"):
        print("\nLast lines of the server log:\n" + r["server_log_tail"])
    write_json_file(
        args.json, clean_floats({"benchmark": "load", "machine": machine(), **r, "goals": [g.as_json() for g in gs]})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
