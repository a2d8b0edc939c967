"""Fleet mode (``shared_cache_url=``) against a real redis-server on a Unix socket."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from conftest import Sim

import oauth2cc


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or shutil.which("valkey-server")
    if not binary:
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail("no redis-server and CI=true: `make test` installs it")
        pytest.skip("!!!!!!!! no redis-server: the Python fleet test did NOT run")
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(sock))
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.01)
        yield f"redis+unix://{sock}"
    finally:
        proc.kill()
        proc.wait()


def test_shared_cache_url_shares_one_token_between_processes(sim: Sim, redis_url: str) -> None:
    a = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", shared_cache_url=redis_url, shared_cache_timeout=0.5)
    t = a.token()
    pid = os.fork()
    if pid == 0:
        # Another process with its own client: the fleet's token, no request.
        b = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", shared_cache_url=redis_url)
        os._exit(0 if b.token() == t else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert sim.requests() == 1


def test_a_shared_cache_password_is_never_shown(sim: Sim, tmp_path: Path) -> None:
    # Nothing listens there: the client works alone and serves its token.
    pw = tmp_path / "pw"
    pw.write_text("zz-REDIS-PW-zz\n")
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", shared_cache_url="redis://u:zz-URL-PW-zz@127.0.0.1:1",
                        shared_cache_password_file=pw)
    assert c.token()
    assert "zz-URL-PW-zz" not in repr(c) and "zz-REDIS-PW-zz" not in repr(c)
    with pytest.raises(oauth2cc.OAuthError) as e:
        oauth2cc.Client(sim.token_url, "svc", "s3cret-value", shared_cache_url="http://u:zz-URL-PW-zz@h")
    assert "zz-URL-PW-zz" not in str(e.value)
