"""Python side by side: oauth2cc against httpx-auth, authlib, requests-oauthlib
and msal, all against the same simulator in one run. Prints JSON lines.

Measured for each library:
- cached: the cost of getting the cached token (or of the library's
  "make sure the token is valid" step), median of 7 timeit runs;
- per_request: the cost the auth adds to one request (building the header
  on an httpx or requests request object), where the library offers an auth;
- stampede: token requests the server sees when 32 threads ask a cold
  client at once, and again when they ask at renewal time.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import timeit
import urllib.request
from typing import Any, Callable

# Against the HTTPS simulator: msal and requests-oauthlib insist on https.
SIM = os.environ["OAUTH2CC_SIM_TLS_URL"]
CA = os.environ["OAUTH2CC_SIM_CA_FILE"]
TOKEN_URL = SIM + "/realms/test/protocol/openid-connect/token"
os.environ["SSL_CERT_FILE"] = CA  # httpx
os.environ["REQUESTS_CA_BUNDLE"] = CA  # requests (requests-oauthlib, msal)
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(proxy_var, None)
SSL = __import__("ssl").create_default_context(cafile=CA)
ID, SECRET = "big", "big-secret"
SHORT_ID, SHORT_SECRET = "short", "short-secret"  # 2 s tokens, for the renewal stampede


def emit(**kv: Any) -> None:
    print(json.dumps(kv), flush=True)


def sim(path: str, body: bytes | None = None) -> Any:
    req = urllib.request.Request(SIM + path, data=body, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=10, context=SSL) as r:
        return json.loads(r.read())


def requests_seen() -> int:
    return int(sim("/sim/stats")["token_requests"])


def median_ns(fn: Callable[[], Any], number: int) -> float:
    runs = [timeit.timeit(fn, number=number) / number * 1e9 for _ in range(7)]
    return statistics.median(runs)


def stampede(lib: str, make: Callable[[str, str], Callable[[], Any]]) -> None:
    # Cold: 32 threads, one fresh client, 200 ms delay at the endpoint.
    get = make(ID, SECRET)
    sim("/sim/faults", json.dumps({"kind": "delay", "ms": 200}).encode())
    before = requests_seen()
    barrier = threading.Barrier(32)
    errors = 0
    lock = threading.Lock()

    def attempt() -> None:
        nonlocal errors
        try:
            get()
        except Exception:
            with lock:
                errors += 1

    def work() -> None:
        barrier.wait()
        attempt()

    ts = [threading.Thread(target=work) for _ in range(32)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    emit(bench="stampede", lib=lib, phase="cold", token_requests=requests_seen() - before, failed_calls=errors)
    errors = 0
    # Renewal: 2 s tokens, 32 threads keep asking for 3 s (one renewal due), 200 ms delay.
    get = make(SHORT_ID, SHORT_SECRET)
    get()
    sim("/sim/faults", json.dumps({"kind": "delay", "ms": 200, "count": 100}).encode())
    before = requests_seen()
    stop = time.monotonic() + 3.0

    def keep_asking() -> None:
        while time.monotonic() < stop:
            attempt()
            time.sleep(0.002)

    ts = [threading.Thread(target=keep_asking) for _ in range(32)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    seen = requests_seen() - before
    sim("/sim/reset", b"")
    emit(bench="stampede", lib=lib, phase="renewal (3 s of a 2 s token)", token_requests=seen, failed_calls=errors)


def bench_oauth2cc() -> None:
    import httpx
    import requests

    import oauth2cc

    c = oauth2cc.Client(TOKEN_URL, ID, SECRET, ca_file=CA)
    c.token()
    emit(bench="py_cached", lib="oauth2cc", what="client.token()", median_ns=median_ns(c.token, 200_000))
    auth = oauth2cc.HttpxAuth(c)
    req = httpx.Request("GET", SIM + "/api/echo")
    emit(bench="py_per_request", lib="oauth2cc", what="HttpxAuth (httpx)",
         median_ns=median_ns(lambda: next(auth.sync_auth_flow(req)), 20_000))
    rauth = oauth2cc.RequestsAuth(c)
    preq = requests.Request("GET", SIM + "/api/echo").prepare()
    emit(bench="py_per_request", lib="oauth2cc", what="RequestsAuth (requests)",
         median_ns=median_ns(lambda: rauth(preq), 20_000))

    def make(i: str, s: str) -> Callable[[], Any]:
        return oauth2cc.Client(TOKEN_URL, i, s, ca_file=CA).token

    stampede("oauth2cc", make)


def bench_httpx_auth() -> None:
    import httpx
    import httpx_auth

    def make(i: str, s: str) -> httpx_auth.OAuth2ClientCredentials:
        # The token cache is process-wide and keyed by URL, id and secret.
        return httpx_auth.OAuth2ClientCredentials(TOKEN_URL, client_id=i, client_secret=s, early_expiry=60.0)

    auth = make(ID, SECRET)
    req = httpx.Request("GET", SIM + "/api/echo")
    next(auth.auth_flow(req))
    emit(bench="py_per_request", lib="httpx-auth", what="OAuth2ClientCredentials (httpx)",
         median_ns=median_ns(lambda: next(auth.auth_flow(req)), 20_000))
    emit(bench="py_cached", lib="httpx-auth", what="token from its cache (via auth_flow)",
         median_ns=median_ns(lambda: next(auth.auth_flow(req)), 20_000))

    def make_get(i: str, s: str) -> Callable[[], Any]:
        httpx_auth.OAuth2.token_cache.clear()
        a = make(i, s)
        return lambda: next(a.auth_flow(httpx.Request("GET", SIM + "/api/echo")))

    stampede("httpx-auth", make_get)


def bench_authlib() -> None:
    from authlib.integrations.httpx_client import OAuth2Client

    def make(i: str, s: str) -> OAuth2Client:
        # leeway: renew 0.5 s before expiry (its default, 60 s, exceeds the 2 s test tokens).
        return OAuth2Client(i, s, token_endpoint=TOKEN_URL, grant_type="client_credentials",
                            token_endpoint_auth_method="client_secret_basic", leeway=0.5)

    c = make(ID, SECRET)
    c.fetch_token()
    emit(bench="py_cached", lib="authlib", what="ensure_active_token()",
         median_ns=median_ns(lambda: c.ensure_active_token(c.token), 50_000))

    def make_get(i: str, s: str) -> Callable[[], Any]:
        cl = make(i, s)

        def get() -> Any:
            if not cl.token:
                cl.fetch_token()
            return cl.ensure_active_token(cl.token)

        return get

    stampede("authlib (httpx OAuth2Client)", make_get)


def bench_requests_oauthlib() -> None:
    import requests
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session

    def make(i: str) -> OAuth2Session:
        return OAuth2Session(client=BackendApplicationClient(client_id=i))

    s = make(ID)
    s.fetch_token(token_url=TOKEN_URL, client_id=ID, client_secret=SECRET)
    preq = requests.Request("GET", SIM + "/api/echo").prepare()
    emit(bench="py_per_request", lib="requests-oauthlib", what="add_token (requests)",
         median_ns=median_ns(lambda: s._client.add_token(preq.url, http_method="GET", headers={}), 20_000))
    emit(bench="py_cached", lib="requests-oauthlib", what="session.token (no renewal logic)",
         median_ns=median_ns(lambda: s.token["access_token"], 200_000))

    def make_get(i: str, sec: str) -> Callable[[], Any]:
        sess = make(i)

        def get() -> Any:
            # No built-in renewal for client credentials: fetch when missing or about to expire.
            tok = sess.token or {}
            if not tok or tok.get("expires_at", 0) - 0.5 < time.time():
                sess.fetch_token(token_url=TOKEN_URL, client_id=i, client_secret=sec)
            return sess.token["access_token"]

        return get

    stampede("requests-oauthlib", make_get)


def bench_msal() -> None:
    import msal

    def make(i: str, s: str) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            i, client_credential=s, oidc_authority=SIM + "/realms/test"
        )

    app = make(ID, SECRET)
    scopes = ["profile"]
    r = app.acquire_token_for_client(scopes=scopes)
    if "access_token" not in r:
        raise RuntimeError(f"msal: {r.get('error')}: {r.get('error_description')}")
    again = app.acquire_token_for_client(scopes=scopes)
    # Against this (non-Microsoft) authority msal answers from the server every
    # time (token_source "identity_provider"); time a few calls, within the
    # simulator's 50/s limit, and say so.
    runs = []
    for _ in range(5):
        time.sleep(0.25)
        t0 = time.perf_counter()
        app.acquire_token_for_client(scopes=scopes)
        runs.append((time.perf_counter() - t0) * 1e9)
    emit(bench="py_cached", lib="msal", what=f"acquire_token_for_client() (token_source: {again.get('token_source')})",
         median_ns=statistics.median(runs))
    time.sleep(1.2)

    def make_get(i: str, s: str) -> Callable[[], Any]:
        a = make(i, s)
        return lambda: a.acquire_token_for_client(scopes=scopes)

    stampede("msal", make_get)


def import_time() -> None:
    import subprocess

    # Goal: at most 15 ms. `import oauth2cc` loads the native module and
    # nothing heavy (bindings/python/tests/test_boundary.py checks which modules).
    runs = []
    for _ in range(21):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import oauth2cc"], check=True)
        t1 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        runs.append((t1 - t0) - (time.perf_counter() - t1))
    emit(bench="footprint_py_import", median_ms=statistics.median(runs) * 1e3, runs=len(runs))


if __name__ == "__main__":
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "0"
    for fn in (bench_oauth2cc, bench_httpx_auth, bench_authlib, bench_requests_oauthlib, bench_msal):
        time.sleep(1.2)  # let the simulator's 1-second rate-limit window clear
        sim("/sim/reset", b"")
        try:
            fn()
        except Exception as e:  # a peer that cannot run here is reported, not fatal
            emit(bench="error", lib=fn.__name__[6:], error=f"{type(e).__name__}: {e}"[:300])
    import_time()
