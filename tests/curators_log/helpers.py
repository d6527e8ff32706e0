"""Helpers for the storage tests: replies to record, a clock to move, a TCP proxy to cut a database off."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from urllib.parse import quote

from bot.brain.markdown import parse_markdown
from bot.brain.reply import Outcome, Reply, Suggestion


def make_reply(
    outcome: Outcome,
    entry_id: str | None = None,
    *,
    candidates=(),
    declined=None,
    score=90,
    nation=None,
    guard=None,
    stale=False,
) -> Reply:
    """A Reply as the Answerer builds it, for a known outcome (the report tests must not depend on the matcher)."""
    return Reply(
        outcome=outcome,
        title="t",
        body=parse_markdown("b"),
        entry_id=entry_id,
        score=score,
        candidates=tuple(Suggestion(c, c, 80) for c in candidates),
        declined=declined,
        nation=nation,
        guard=guard,
        stale=parse_markdown("These figures are past their valid_until.") if stale else None,
    )


class FakeClock:
    """Seconds since the epoch, moved by hand: time is outside our walls."""

    def __init__(self, start: dt.datetime | None = None):
        self.now = (start or dt.datetime.now(dt.UTC)).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta).total_seconds()

    def set(self, when: dt.datetime) -> None:
        self.now = when.timestamp()


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose sessions use `schema`, so each test has tables of its own."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-c search_path={schema}')}"


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpProxy:
    """Forwards a local port to a server. `cut()` drops every connection and refuses new ones; `stall()` keeps them
    open but passes nothing on; `restore()` undoes either.

    It stands in for a network or a database host that goes away, without stopping the shared test server.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._flowing = threading.Event()
        self.restore()

    def stall(self) -> None:
        """Keep every connection open but pass nothing on: a server that hangs."""
        self._flowing.clear()

    def restore(self) -> None:
        self._flowing.set()
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(), freeing the port
            except OSError:
                pass
            listener.close()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._flowing.set()  # let stalled pumps notice their sockets are gone

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self._flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def timed(fn, *args, **kwargs):
    """(result, seconds taken)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
