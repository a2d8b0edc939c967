"""DPoP (RFC 9449) from Python: dpop=, dpop_key=, Client.dpop_proof, the
shared case table's DPoP cases, and RequestsAuth/HttpxAuth sending the DPoP
header with one resend on the API's use_dpop_nonce. The simulator verifies
every proof (signature, htm, htu, iat, jti, ath, nonce, cnf.jkt)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import requests

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim

from test_boundary import DPOP_CASES

KEYS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "keys"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, c, _ = proof.split(".")

    def dec(s: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        return value

    return dec(h), dec(c)


def dpop_switch(sim: Sim, **switches: bool) -> None:
    sim._plain("/sim/dpop", json.dumps(switches).encode())


@pytest.fixture
def client(sim: Sim) -> oauth2cc.Client:
    return oauth2cc.Client(sim.token_url, "svc", "s3cret-value", dpop=True)


def test_a_dpop_client_gets_a_dpop_token(sim: Sim, client: oauth2cc.Client) -> None:
    assert client.dpop
    assert client.token_info().token_type == "DPoP"
    assert sim.stats()["dpop_tokens_issued"] == 1
    assert not oauth2cc.Client(sim.token_url, "svc", "s3cret-value").dpop


def test_dpop_proof_claims(sim: Sim, client: oauth2cc.Client) -> None:
    header, claims = parts(client.dpop_proof("POST", sim.api_url + "?q=1#f", "tok"))
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"]["kty"] == "EC" and "d" not in header["jwk"]
    assert claims["htm"] == "POST" and claims["htu"] == sim.api_url
    assert abs(claims["iat"] - time.time()) < 10
    assert claims["ath"] == b64(hashlib.sha256(b"tok").digest())
    _, again = parts(client.dpop_proof("POST", sim.api_url))
    assert again["jti"] != claims["jti"] and "ath" not in again


def test_dpop_proof_errors(sim: Sim, client: oauth2cc.Client) -> None:
    with pytest.raises(oauth2cc.ConfigurationError):
        oauth2cc.Client(sim.token_url, "svc", "s3cret-value").dpop_proof("GET", sim.api_url)
    for method, url in [("GET", "not a url"), ("G T", sim.api_url), ("GET", "ftp://h/x")]:
        with pytest.raises(oauth2cc.ConfigurationError):
            client.dpop_proof(method, url)


def test_dpop_key_file(sim: Sim) -> None:
    a = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", dpop_key=KEYS / "p256.pkcs8.pem")
    b = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", dpop_key=str(KEYS / "p256.sec1.pem"))
    assert a.dpop and b.dpop
    assert parts(a.dpop_proof("GET", sim.api_url))[0]["jwk"] == parts(b.dpop_proof("GET", sim.api_url))[0]["jwk"]
    assert requests.get(sim.api_url, auth=oauth2cc.RequestsAuth(a), timeout=10).status_code == 200
    with pytest.raises(oauth2cc.ConfigurationError, match="DPoP key"):
        oauth2cc.Client(sim.token_url, "svc", "s3cret-value", dpop_key=KEYS / "rsa2048.pkcs8.pem")


@pytest.mark.parametrize("case", DPOP_CASES, ids=[c["name"] for c in DPOP_CASES])
def test_dpop_case_table(sim: Sim, client: oauth2cc.Client, case: dict[str, Any]) -> None:
    used = client.token()
    nonce = case["dpop"].get("nonce")
    out = client.handle_response(case["status"], used, case["www_authenticate"], url=sim.api_url, dpop_nonce=nonce)
    want = case["outcome"]
    if want in ("proceed", "retry", "retry_with_nonce"):
        assert out.action == want and out.error is None
        assert out.should_retry == (want != "proceed")
        assert (client.token() == used) == (want != "retry")
        if nonce is not None:
            assert parts(client.dpop_proof("GET", sim.api_url))[1]["nonce"] == nonce
    else:
        assert out.action == "error" and out.error is not None
        assert out.error.kind == want
        assert out.error.error == case.get("error")


def test_requests_auth_sends_dpop_and_retries_the_nonce_once(sim: Sim, client: oauth2cc.Client) -> None:
    auth = oauth2cc.RequestsAuth(client)
    r = requests.get(sim.api_url, auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.request.headers["Authorization"] == f"DPoP {client.token()}"
    assert "DPoP" in r.request.headers
    dpop_switch(sim, require_nonce=True, rotate_now=True)
    before = sim.requests()
    r = requests.post(sim.api_url, data=b"x" * 10, auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert [h.status_code for h in r.history] == [401]
    assert sim.requests() == before, "a nonce needs no new token"
    # A server that never settles: one resend, then the caller gets its answer (no loop).
    dpop_switch(sim, rotate_always=True)
    api_before = sim.stats()["api_requests"]
    r = requests.get(sim.api_url, auth=auth, timeout=10)
    assert r.status_code == 401 and [h.status_code for h in r.history] == [401]
    assert sim.stats()["api_requests"] == api_before + 2
    assert sim.requests() == before


def test_httpx_auth_sync_and_async(sim: Sim, client: oauth2cc.Client) -> None:
    auth = oauth2cc.HttpxAuth(client)
    with httpx.Client(auth=auth) as h:
        assert h.get(sim.api_url).status_code == 200
        dpop_switch(sim, require_nonce=True, rotate_now=True)
        r = h.get(sim.api_url)
        assert r.status_code == 200 and [x.status_code for x in r.history] == [401]

    async def main() -> None:
        async with httpx.AsyncClient(auth=auth) as h:
            dpop_switch(sim, require_nonce=True, rotate_now=True)
            r = await h.get(sim.api_url)
            assert r.status_code == 200 and [x.status_code for x in r.history] == [401]
            assert r.request.headers["Authorization"].startswith("DPoP ")

    asyncio.run(main())
    assert sim.stats()["dpop_replays"] == 0
