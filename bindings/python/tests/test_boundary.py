"""The Python boundary: the shared API-response case table through the bare
binding and through RequestsAuth and HttpxAuth (sync and async); the classes
the native module defines; what `import oauth2cc` costs."""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
from conftest import ROOT, Sim

import oauth2cc

ALL_CASES = json.loads((ROOT / "tests" / "api_response_cases.json").read_text())["cases"]
# A DPoP client's cases run in test_dpop.py.
CASES = [c for c in ALL_CASES if "dpop" not in c]
DPOP_CASES = [c for c in ALL_CASES if "dpop" in c]
IDS = [c["name"] for c in CASES]
# The Python class of each error outcome, from the core's table (through the classes the binding made from it).
CLASS_OF_KIND = {
    cls.kind: cls
    for cls in (getattr(oauth2cc, n) for n in oauth2cc.__all__)
    if isinstance(cls, type)
    and issubclass(cls, oauth2cc.OAuthError)
    and cls not in (oauth2cc.OAuthError, oauth2cc.APIError)
}


def check_error(case: dict[str, Any], e: BaseException) -> None:
    assert isinstance(e, oauth2cc.APIError), e
    assert type(e) is CLASS_OF_KIND[case["outcome"]] and e.kind == case["outcome"], repr(e)
    assert e.status == case["status"]
    for field in ("error", "error_description", "scope"):
        assert getattr(e, field) == case.get(field), (field, e)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_binding_answers_every_case_of_the_shared_table(sim: Sim, case: dict[str, Any]) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    token = c.token()
    o = c.handle_response(case["status"], token, case["www_authenticate"])
    assert isinstance(o, oauth2cc.ResponseOutcome)
    if case["outcome"] in ("proceed", "retry"):
        assert (o.action, o.error, o.should_retry) == (case["outcome"], None, case["outcome"] == "retry")
        assert (c.cached_token() is None) == (case["outcome"] == "retry"), "the token is dropped only to retry"
    else:
        assert o.action == "error" and not o.should_retry and o.error is not None
        check_error(case, o.error)
        assert c.cached_token() == token
    # One str with the fields joined by a line feed (as the C ABI takes them) means the same.
    joined = "\n".join(case["www_authenticate"]) or None
    assert c.handle_response(case["status"], c.token(), joined).action == o.action


def respond_url(sim: Any, case: dict[str, Any]) -> str:
    query = "&".join("www=" + urllib.parse.quote(v, safe="") for v in case["www_authenticate"])
    return f"{sim.base}/api/respond/{case['status']}?{query}"


def via_requests(client: oauth2cc.Client, url: str) -> Any:
    return requests.get(url, auth=oauth2cc.RequestsAuth(client), timeout=10)


def via_httpx(client: oauth2cc.Client, url: str) -> Any:
    with httpx.Client(auth=oauth2cc.HttpxAuth(client), timeout=10) as h:
        return h.get(url)


def via_httpx_async(client: oauth2cc.Client, url: str) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(auth=oauth2cc.HttpxAuth(client), timeout=10) as h:
            return await h.get(url)

    return asyncio.run(main())


@pytest.mark.parametrize("send", [via_requests, via_httpx, via_httpx_async], ids=["requests", "httpx", "httpx_async"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_auth_classes_answer_every_case_of_the_shared_table(
    sim: Sim, case: dict[str, Any], send: Callable[..., Any]
) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    c.token()
    before = sim.stats()
    if case["outcome"] in ("proceed", "retry"):
        r = send(c, respond_url(sim, case))
        assert r.status_code == case["status"]
        retried = case["outcome"] == "retry"
        # On "retry" the simulator answers the renewed token the same way: sent once more, then returned.
        assert [h.status_code for h in r.history] == ([case["status"]] if retried else [])
    else:
        with pytest.raises(oauth2cc.APIError) as ei:
            send(c, respond_url(sim, case))
        check_error(case, ei.value)
        retried = False
    after = sim.stats()
    assert after["api_requests"] - before["api_requests"] == (2 if retried else 1)
    assert after["token_requests"] - before["token_requests"] == (1 if retried else 0)


def test_the_exceptions_are_made_once_by_the_native_module_with_kind_on_the_class() -> None:
    from oauth2cc import _native

    assert oauth2cc.OAuthError is _native.OAuthError and oauth2cc.NetworkError is _native.NetworkError
    for kind, cls in CLASS_OF_KIND.items():
        assert cls.__module__ == "oauth2cc" and getattr(oauth2cc, cls.__name__) is cls
        assert "kind" in vars(cls) and cls.kind == kind
    assert set(CLASS_OF_KIND) == {
        "invalid_config", "invalid_client", "invalid_scope", "rejected", "rate_limited", "network", "timeout",
        "tls", "protocol", "server", "internal", "api_insufficient_scope", "api_invalid_request", "api_rejected",
        "api_unauthorized",
    }
    assert issubclass(oauth2cc.ConfigurationError, ValueError)
    assert issubclass(oauth2cc.NetworkError, ConnectionError)
    assert issubclass(oauth2cc.RequestTimeoutError, TimeoutError)
    e = oauth2cc.RateLimitedError("slow down")
    assert (e.message, e.status, e.kind) == ("slow down", None, "rate_limited")
    e.retry_after = 7.0
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is oauth2cc.RateLimitedError and again.retry_after == 7.0 and again.message == "slow down"


def test_no_exported_name_shadows_a_builtin_and_the_old_timeout_name_warns() -> None:
    import builtins

    assert not [n for n in oauth2cc.__all__ if hasattr(builtins, n)]
    scope: dict[str, Any] = {}
    exec("from oauth2cc import *", scope)  # noqa: S102
    assert "TimeoutError" not in scope and scope["RequestTimeoutError"] is oauth2cc.RequestTimeoutError
    with pytest.warns(DeprecationWarning, match="RequestTimeoutError"):
        assert oauth2cc.TimeoutError is oauth2cc.RequestTimeoutError


def test_token_info_is_a_native_class(sim: Sim) -> None:
    info = oauth2cc.Client(sim.token_url, "svc", "s3cret-value").token_info()
    assert type(info) is oauth2cc.TokenInfo and type(info).__module__ == "oauth2cc"
    with pytest.raises(AttributeError):
        info.scope = "x"  # type: ignore[misc]  # frozen


def test_import_oauth2cc_imports_nothing_heavy() -> None:
    # What made `import oauth2cc` cost ~48 ms (bench/python/bench.py times it):
    # typing, logging (with re, traceback), dataclasses (with inspect), datetime.
    code = "import sys, oauth2cc; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(out.stdout.split())
    heavy = {"typing", "logging", "dataclasses", "datetime", "inspect", "re", "requests", "httpx", "asyncio"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_star_import_never_imports_the_optional_extras() -> None:
    # requests and httpx are extras: `from oauth2cc import *` must work without
    # them (None in sys.modules makes their import fail, as if not installed).
    code = (
        "import sys\n"
        "sys.modules['httpx'] = None\n"
        "sys.modules['requests'] = None\n"
        "from oauth2cc import *\n"
        "import oauth2cc\n"
        "assert Client is oauth2cc.Client and OAuthError is oauth2cc.OAuthError\n"
        "assert 'HttpxAuth' not in dir() and 'RequestsAuth' not in dir()\n"
        "assert 'oauth2cc._httpx' not in sys.modules and 'oauth2cc._requests' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    # Still there, lazily, for who has the extra.
    assert oauth2cc.HttpxAuth.__name__ == "HttpxAuth" and oauth2cc.RequestsAuth.__name__ == "RequestsAuth"


def test_the_annotation_types_are_exported_under_mypy_strict(tmp_path: Any) -> None:
    # The README's annotation types (stub-only Literal aliases) must be usable
    # by a user program checked with `mypy --strict`: as oauth2cc.X and by import.
    prog = tmp_path / "user.py"
    prog.write_text(
        "import oauth2cc\n"
        "from oauth2cc import AuthMethod, ErrorKind, HttpxAuth, RequestsAuth, ResponseAction, Stats\n"
        "\n"
        "def auths(c: oauth2cc.Client) -> tuple[HttpxAuth, RequestsAuth, oauth2cc.HttpxAuth]:\n"
        "    return HttpxAuth(c), RequestsAuth(c), oauth2cc.HttpxAuth(c)\n"
        "\n"
        "def kind_of(e: oauth2cc.OAuthError) -> oauth2cc.ErrorKind:\n"
        "    return e.kind\n"
        "\n"
        "def action_of(c: oauth2cc.Client, token: str) -> oauth2cc.ResponseAction:\n"
        "    return c.handle_response(403, token).action\n"
        "\n"
        "def make(m: oauth2cc.AuthMethod) -> oauth2cc.Client:\n"
        '    return oauth2cc.Client("https://iam.example/token", "svc", "s", auth_method=m)\n'
        "\n"
        "def last(s: Stats) -> ErrorKind | None:\n"
        "    return s['last_error']\n"
        "\n"
        'm: AuthMethod = "client_secret_post"\n'
        'a: ResponseAction = "retry"\n'
        'bad: ErrorKind = "not_a_kind"  # type: ignore[assignment]\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--warn-unused-ignores", str(prog)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("status", [0, 99, 1000, 65535, -1, 2**40, -(2**70)])
def test_handle_response_rejects_a_status_outside_100_to_999(sim: Sim, status: int) -> None:
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")
    token = c.token()
    with pytest.raises(oauth2cc.ConfigurationError, match=rf"http_status {status} is not an HTTP status \(100..=999\)"):
        c.handle_response(status, token, 'Bearer error="invalid_token"')
    assert c.token() == token  # nothing dropped
