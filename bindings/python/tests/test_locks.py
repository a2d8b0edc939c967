"""No deadlock between the core's log lines (forwarded to `logging`, which
needs the interpreter) and methods that wait for the core's locks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import faulthandler, io, logging, socket, sys, threading

    # A hang dumps every thread's stack and exits non-zero instead of hanging CI.
    faulthandler.dump_traceback_later(20, exit=True)
    logging.basicConfig(stream=io.StringIO(), level=logging.DEBUG)  # a handler is installed

    import oauth2cc

    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_url = "http://127.0.0.1:%d/token" % dead.getsockname()[1]
    dead.close()  # nothing listens: requests fail at once
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(64)  # connects, never answers: requests time out
    mute_url = "http://127.0.0.1:%d/token" % mute.getsockname()[1]

    clients = [oauth2cc.Client(dead_url, "svc", "secret", max_requests_per_second=50) for _ in range(20)]
    clients += [oauth2cc.Client(mute_url, "svc", "secret", timeout=0.2) for _ in range(10)]
    current = [clients[0]]
    stop = threading.Event()

    def monitor():
        while not stop.is_set():
            current[0].stats()

    t = threading.Thread(target=monitor)
    t.start()
    failed = 0
    for c in clients:  # fresh clients: each one's first request fails and is logged
        current[0] = c
        try:
            c.token()
        except (oauth2cc.NetworkError, oauth2cc.RequestTimeoutError):
            failed += 1
        c.set_secret("another")
        c.invalidate("x")
    stop.set()
    t.join()
    print("done", failed)
    """
)


def test_stats_while_a_failing_token_request_logs_does_not_hang() -> None:
    p = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert p.returncode == 0, p.stderr[-4000:]
    assert p.stdout.split() == ["done", "30"], p.stdout
