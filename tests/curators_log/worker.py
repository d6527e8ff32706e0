"""A separate process for the multi-process tests: `python -m tests.curators_log.worker URL MODE THREADS N`.

It opens a recorder on URL, prints "ready", waits for a line on standard input (so all workers start together),
then from THREADS threads either records N questions each, with a 👎 and a choice for each (MODE "write"), or
claims the event keys 0..N-1 each, in its own order (MODE "claim"). It closes the recorder (writing everything
queued) and prints a JSON line: {"recorded": n} or {"claimed": [keys won]}.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading

from bot.config import Settings
from bot.curators_log import DatabaseRecorder, open_recorder
from tests.curators_log.helpers import make_reply


def main(argv: list[str]) -> int:
    url, mode, threads, n = argv[0], argv[1], int(argv[2]), int(argv[3])
    recorder = open_recorder(Settings.from_env({"DATABASE_URL": url, "USER_HASH_KEY": "k"}))
    assert isinstance(recorder, DatabaseRecorder)
    print("ready", flush=True)
    sys.stdin.readline()
    results: list = []
    lock = threading.Lock()
    tag = os.getpid()

    def write(t: int) -> None:
        done = 0
        for i in range(n):
            ref = recorder.record_question("dm", f"question {tag}-{t}-{i}", make_reply("clarify", candidates=["a"]))
            recorder.record_feedback(ref, "band-5", False, user_id=f"U{t}")
            recorder.record_choice(ref, "band-4")
            done += ref is not None
        with lock:
            results.append(done)

    def claim(t: int) -> None:
        keys = [f"Ev{k}" for k in range(n)]
        random.Random(tag * 100 + t).shuffle(keys)
        won = [k for k in keys if recorder.claim_event(k)]
        with lock:
            results.extend(won)

    workers = [threading.Thread(target=write if mode == "write" else claim, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    recorder.close(timeout=30)
    out = {"recorded": sum(results)} if mode == "write" else {"claimed": results}
    print(json.dumps({**out, "failures": recorder.failures.total, "dropped": recorder.dropped}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
