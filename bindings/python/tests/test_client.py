"""oauth2cc.Client against the IAM simulator."""

from __future__ import annotations

import datetime
import logging
import multiprocessing
import os
import threading
import time
from typing import TYPE_CHECKING

import pytest

import oauth2cc

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from conftest import Sim


def test_token_then_cache(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    t = c.token()
    assert isinstance(t, str) and len(t) > 100
    for _ in range(1000):
        assert c.token() == t
    assert sim.requests() == 1
    s = c.stats()
    assert s["token_requests"] == 1 and s["successes"] == 1 and s["cached_reads"] >= 1000
    assert s["failures"] == {} and s["paused_for"] is None and (s["token_expires_in"] or 0) > 290


def test_token_info(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", scope="orders:read")
    info = c.token_info()
    assert info.access_token == c.token()
    assert info.token_type == "Bearer"
    assert info.scope == "profile email orders:read"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=290) < info.expires_at - now <= datetime.timedelta(seconds=300)
    assert 290 < info.expires_in <= 300
    assert info.access_token not in repr(info)


def test_every_option(sim: Sim) -> None:
    c = oauth2cc.Client(
        sim.token_url, "post-only", "post-secret", auth_method="client_secret_post", audience="orders-api",
        resource="https://orders.example/", extra_params=[("acr_values", "gold")], connect_timeout=2.0, timeout=3.0,
        renew_between=(0.5, 0.6), allow_insecure_http=False, default_lifetime=30.0, max_requests_per_second=20,
        credential_cool_down=5.0, proxy="",
    )
    c.token()
    params = dict(sim.stats()["last_params"])
    assert params["audience"] == "orders-api" and params["resource"] == "https://orders.example/"
    assert params["acr_values"] == "gold" and params["client_id"] == "post-only"


def test_a_token_url_or_an_issuer_and_a_secret_when_the_method_uses_one(sim: Sim) -> None:
    with pytest.raises(oauth2cc.ConfigurationError, match="from_issuer"):
        oauth2cc.Client(None, "svc", "s3cret-value")
    for method in ("client_secret_basic", "client_secret_post", "client_secret_jwt"):
        with pytest.raises(oauth2cc.ConfigurationError, match="client secret is empty"):
            oauth2cc.Client(sim.token_url, "svc", auth_method=method)
    assert sim.requests() == 0


def test_repr_shows_url_and_id_never_secret_or_token(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    t = c.token()
    r = repr(c)
    assert sim.token_url in r and "svc" in r
    assert "s3cret-value" not in r and t not in r


def test_from_env(sim: Sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-value\n")
    monkeypatch.setenv("OAUTH2CC_TOKEN_URL", sim.token_url)
    monkeypatch.setenv("OAUTH2CC_CLIENT_ID", "svc")
    monkeypatch.setenv("OAUTH2CC_CLIENT_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("OAUTH2CC_SCOPE", "orders:write")
    monkeypatch.setenv("OAUTH2CC_TIMEOUT", "4")
    c = oauth2cc.Client.from_env()
    assert c.token_info().scope == "profile email orders:write"
    monkeypatch.setenv("OAUTH2CC_CLIENT_SECRET", "s3cret-value")
    assert oauth2cc.Client.from_env(scope=None).token()
    monkeypatch.delenv("OAUTH2CC_CLIENT_ID")
    with pytest.raises(oauth2cc.ConfigurationError, match="OAUTH2CC_CLIENT_ID"):
        oauth2cc.Client.from_env()
    monkeypatch.setenv("OAUTH2CC_CLIENT_ID", "svc")
    monkeypatch.setenv("OAUTH2CC_TIMEOUT", "soon")
    with pytest.raises(oauth2cc.ConfigurationError, match="OAUTH2CC_TIMEOUT"):
        oauth2cc.Client.from_env()


def test_from_env_names_every_missing_setting(sim: Sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The core's settings: every missing one named in one error; an empty
    # variable is unset; a profile of the config file and keywords layer as
    # in the oauth2cc command.
    for k in list(os.environ):
        if k.startswith("OAUTH2CC_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("OAUTH2CC_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("OAUTH2CC_CLIENT_SECRET", "")
    with pytest.raises(oauth2cc.ConfigurationError) as e:
        oauth2cc.Client.from_env()
    for name in ("OAUTH2CC_TOKEN_URL", "OAUTH2CC_CLIENT_ID", "OAUTH2CC_CLIENT_SECRET"):
        assert name in str(e.value), str(e.value)
    (tmp_path / "secret").write_text("s3cret-value\n")
    (tmp_path / "config").write_text(
        f"[profile py]\ntoken_url = {sim.token_url}\nclient_id = svc\n"
        f"client_secret_file = {tmp_path / 'secret'}\nscope = orders:write\n"
    )
    monkeypatch.setenv("OAUTH2CC_SCOPE", "orders:read")
    c = oauth2cc.Client.from_env("py")
    assert isinstance(c, oauth2cc.Client)
    assert c.token_info().scope == "profile email orders:read"
    c = oauth2cc.Client.from_env("py", scope="orders:write", timeout=None)
    assert c.token_info().scope == "profile email orders:write"
    with pytest.raises(oauth2cc.ConfigurationError, match="no-such"):
        oauth2cc.Client.from_env("no-such")


def test_invalidate_and_handle_response(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    old = c.token()
    assert not c.invalidate("something-else")
    o = c.handle_response(401, old, 'Bearer realm="x", error="invalid_token"')
    assert isinstance(o, oauth2cc.ResponseOutcome)
    assert o.should_retry and o.action == "retry" and o.error is None
    new = c.token()
    assert new != old and sim.requests() == 2
    assert not c.invalidate(old)
    o = c.handle_response(403, new, ['Basic realm="b"', 'Bearer error="insufficient_scope", scope="orders:write"'])
    assert o.action == "error" and not o.should_retry
    assert isinstance(o.error, oauth2cc.InsufficientScopeError) and o.error.scope == "orders:write"
    assert o.error.status == 403 and o.error.kind == "api_insufficient_scope"
    assert c.handle_response(200, new).action == "proceed"
    alias = c.handle_unauthorized(new, None).error  # the deprecated alias
    assert alias is not None and alias.kind == "api_unauthorized"
    assert c.token() == new and sim.requests() == 2


def test_wrong_secret_raises_invalid_client_without_a_retry_loop(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "wrong-Secret-9")
    for _ in range(20):
        with pytest.raises(oauth2cc.InvalidClientError) as ei:
            c.token()
        e = ei.value
        assert e.status == 401 and e.error == "unauthorized_client"
        assert e.error_description == "Invalid client or Invalid client credentials"
        assert e.retry_after is not None and e.retry_after > 50 and e.kind == "invalid_client" and e.hint
        assert "wrong-Secret-9" not in str(e) and "wrong-Secret-9" not in repr(e)
        assert isinstance(e, oauth2cc.OAuthError)
    assert sim.requests() == 1
    c.set_secret("s3cret-value")
    assert c.token() and sim.requests() == 2


@pytest.mark.parametrize(
    "fault,exc,status",
    [
        ({"kind": "status", "status": 429, "retry_after": "7"}, oauth2cc.RateLimitedError, 429),
        ({"kind": "status", "status": 500}, oauth2cc.ServerError, 500),
        ({"kind": "html"}, oauth2cc.ProtocolError, 200),
        ({"kind": "malformed_json"}, oauth2cc.ProtocolError, 200),
        ({"kind": "close"}, oauth2cc.NetworkError, None),
        ({"kind": "error_200"}, oauth2cc.RejectedError, 200),
    ],
)
def test_each_failure_has_its_exception(
    sim: Sim, fault: dict[str, Any], exc: type[oauth2cc.OAuthError], status: int
) -> None:
    sim.fault(**fault)
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    with pytest.raises(exc) as ei:
        c.token()
    assert ei.value.status == status
    if exc is oauth2cc.RateLimitedError:
        assert ei.value.retry_after is not None and 6 < ei.value.retry_after <= 7
    if exc is oauth2cc.NetworkError:
        assert isinstance(ei.value, ConnectionError)


def test_invalid_scope(sim: Sim) -> None:
    with pytest.raises(oauth2cc.InvalidScopeError) as ei:
        oauth2cc.Client(sim.token_url, "svc", "s3cret-value", scope="admin").token()
    assert ei.value.error == "invalid_scope" and ei.value.error_description == "Invalid scopes: admin"


def test_timeout(sim: Sim) -> None:
    sim.fault(kind="delay", ms=3000)
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(oauth2cc.RequestTimeoutError) as ei:
        c.token()
    assert time.monotonic() - t0 < 2
    assert isinstance(ei.value, TimeoutError)  # the builtin, too


def test_tls(tls_sim: Sim) -> None:
    with pytest.raises(oauth2cc.TLSError):
        oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", proxy="").token()
    assert oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", ca_file=tls_sim.ca_file, proxy="").token()


def test_configuration_errors() -> None:
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client("http://iam.example.com/token", "svc", "s")
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client("https://iam.example.com/token", "svc", "s", auth_method="basic")  # type: ignore[arg-type]
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client("https://iam.example.com/token", "svc", "s", timeout=-1)
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client("https://iam.example.com/token", "svc", "s", renew_between=(0.9, 0.8))
    with pytest.raises(ValueError):  # ConfigurationError is a ValueError too
        oauth2cc.Client("https://iam.example.com/token", "", "s")


def test_network_error_when_the_server_is_down(sim: Sim) -> None:
    url = sim.token_url
    sim.stop()
    with pytest.raises(oauth2cc.NetworkError):
        oauth2cc.Client(url, "svc", "s3cret-value").token()


def test_32_threads_on_a_cold_client_make_one_request(sim: Sim) -> None:
    sim.fault(kind="delay", ms=300)
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    barrier = threading.Barrier(32)
    results: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        t = c.token()
        with lock:
            results.append(t)

    threads = [threading.Thread(target=work) for _ in range(32)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 32 and len(set(results)) == 1
    assert sim.requests() == 1 and sim.stats()["token_max_in_flight"] == 1


def test_the_interpreter_is_released_during_the_request(sim: Sim) -> None:
    sim.fault(kind="delay", ms=800)
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    ticks = 0
    done = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    th = threading.Thread(target=ticker)
    th.start()
    c.token()
    done.set()
    th.join()
    assert ticks > 40, f"only {ticks} ticks: the GIL was held during the request"


def test_renewal_before_expiry(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "short", "short-secret")
    first = c.token()
    t0 = time.monotonic()
    while c.token() == first:
        time.sleep(0.01)
        assert time.monotonic() - t0 < 2.0, "not renewed before expiry"
    assert 1.4 < time.monotonic() - t0 < 1.95
    assert sim.requests() == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    t = c.token()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            # The core's freshness, fork check included: the inherited token
            # is not handed out until the child drew its own renewal point.
            ok = c.cached_token() is None
            ok = ok and c.token() == t and c.cached_token() == t
            c.invalidate(t)
            ok = ok and c.token() != t
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.waitpid(pid, 0)
    assert got == b"1"
    assert sim.requests() == 2  # the child's own renewal
    assert c.token() == t  # the parent's cache is its own


_MP_CLIENT: "oauth2cc.Client | None" = None


def _mp_token(_: int) -> str:
    assert _MP_CLIENT is not None
    return _MP_CLIENT.token()


def test_multiprocessing(sim: Sim) -> None:
    global _MP_CLIENT
    _MP_CLIENT = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    t = _MP_CLIENT.token()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        tokens = pool.map(_mp_token, range(4))
    assert all(x == t for x in tokens), "children use the inherited token"
    assert sim.requests() == 1
    _MP_CLIENT = None


def test_logging_without_secrets(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="oauth2cc")
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    t = c.token()
    c.invalidate(t)
    bad = oauth2cc.Client(sim.token_url, "svc", "zz-SECRET-zz")
    with pytest.raises(oauth2cc.InvalidClientError):
        bad.token()
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "oauth2cc")
    assert "new token" in text and "invalidated" in text and "rejected the client credentials" in text
    assert "zz-SECRET-zz" not in text and "s3cret-value" not in text and t not in text


def test_cache_dir_shares_tokens_between_processes(sim: Sim, tmp_path: Path) -> None:
    a = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", cache_dir=tmp_path)
    t = a.token()
    pid = os.fork()
    if pid == 0:
        # A new client in another process: the token comes from the file.
        b = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", cache_dir=str(tmp_path))
        os._exit(0 if b.token() == t else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert sim.requests() == 1
    assert all((p.stat().st_mode & 0o777) in (0o600,) for p in tmp_path.iterdir() if p.suffix == ".token")


def test_token_info_repr_shows_expires_at_as_a_datetime(sim: Sim) -> None:
    info = oauth2cc.Client(sim.token_url, "svc", "s3cret-value").token_info()
    shown = repr(info)
    assert f"expires_at={info.expires_at!r}" in shown, shown
    assert "datetime.datetime(" in shown and info.access_token not in shown


def test_no_log_output_when_the_application_never_configured_logging() -> None:
    # A failing token request in a fresh interpreter with no logging set up:
    # the oauth2cc logger has a NullHandler, so Python's last-resort handler
    # prints nothing on stderr.
    import subprocess
    import sys

    code = (
        "import oauth2cc\n"
        "c = oauth2cc.Client('http://127.0.0.1:1/realms/test/protocol/openid-connect/token', 'svc', 's', proxy='')\n"
        "try:\n"
        "    c.token()\n"
        "except oauth2cc.NetworkError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    # The error names the host and port it tried.
    assert "connection refused by the token endpoint 127.0.0.1:1" in out.stdout, out.stdout


def test_the_http_refusal_names_the_keyword_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://iam.invalid/realms/test/protocol/openid-connect/token"
    with pytest.raises(oauth2cc.ConfigurationError) as e:
        oauth2cc.Client(url, "svc", "s")
    assert "allow_insecure_http" in str(e.value) and "OAUTH2CC_ALLOW_INSECURE_HTTP" in str(e.value)
    for k, v in {"OAUTH2CC_TOKEN_URL": url, "OAUTH2CC_CLIENT_ID": "svc", "OAUTH2CC_CLIENT_SECRET": "s"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("OAUTH2CC_ALLOW_INSECURE_HTTP", "1")
    oauth2cc.Client.from_env()  # allowed now
    monkeypatch.setenv("OAUTH2CC_ALLOW_INSECURE_HTTP", "maybe")
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client.from_env()
