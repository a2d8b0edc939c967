"""RequestsAuth and HttpxAuth against the simulator's protected API."""

from __future__ import annotations

import asyncio
import io
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import requests

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim


@pytest.fixture
def client(sim: Sim) -> oauth2cc.Client:
    return oauth2cc.Client(sim.token_url, "svc", "s3cret-value")


# ---- requests ----

def test_requests_adds_the_bearer_header(sim: Sim, client: oauth2cc.Client) -> None:
    r = requests.get(sim.api_url, auth=oauth2cc.RequestsAuth(client), timeout=10)
    assert r.status_code == 200 and r.json()["client"] == "svc"
    assert r.request.headers["Authorization"] == f"Bearer {client.token()}"


def test_requests_renews_and_resends_once_on_invalid_token(sim: Sim, client: oauth2cc.Client) -> None:
    old = client.token()
    sim.revoke()
    body = b"x" * 1000
    r = requests.post(sim.api_url, data=io.BytesIO(body), auth=oauth2cc.RequestsAuth(client), timeout=10)
    assert r.status_code == 200 and r.json()["body_bytes"] == len(body)
    assert [h.status_code for h in r.history] == [401]
    assert client.token() != old and sim.requests() == 2


def test_requests_insufficient_scope_raises_or_passes_through(sim: Sim, client: oauth2cc.Client) -> None:
    with pytest.raises(oauth2cc.InsufficientScopeError) as ei:
        requests.get(f"{sim.base}/api/scope/orders:write", auth=oauth2cc.RequestsAuth(client), timeout=10)
    assert ei.value.scope == "orders:write" and ei.value.status == 403
    r = requests.get(
        f"{sim.base}/api/scope/orders:write",
        auth=oauth2cc.RequestsAuth(client, raise_on_unauthorized=False),
        timeout=10,
    )
    assert r.status_code == 403
    assert sim.requests() == 1, "no renewal for a scope problem"


def test_requests_401_without_detail_is_not_retried(sim: Sim, client: oauth2cc.Client) -> None:
    with pytest.raises(oauth2cc.UnauthorizedError) as ei:
        requests.get(f"{sim.base}/api/deny", auth=oauth2cc.RequestsAuth(client), timeout=10)
    assert ei.value.kind == "api_unauthorized" and "would not help" in str(ei.value)
    assert sim.requests() == 1 and sim.stats()["api_requests"] == 1


# ---- httpx, sync ----

def test_httpx_sync(sim: Sim, client: oauth2cc.Client) -> None:
    with httpx.Client(auth=oauth2cc.HttpxAuth(client)) as h:
        assert h.get(sim.api_url).json()["client"] == "svc"
        old = client.token()
        sim.revoke()
        r = h.post(sim.api_url, content=b"y" * 500)
        assert r.status_code == 200 and r.json()["body_bytes"] == 500
        assert [x.status_code for x in r.history] == [401]
        assert client.token() != old and sim.requests() == 2
        with pytest.raises(oauth2cc.InsufficientScopeError):
            h.get(f"{sim.base}/api/scope/orders:write")
        with pytest.raises(oauth2cc.UnauthorizedError):
            h.get(f"{sim.base}/api/deny")
    with httpx.Client(auth=oauth2cc.HttpxAuth(client, raise_on_unauthorized=False)) as h:
        assert h.get(f"{sim.base}/api/deny").status_code == 401


# ---- httpx, async ----

def test_httpx_async(sim: Sim, client: oauth2cc.Client) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(auth=oauth2cc.HttpxAuth(client)) as h:
            assert (await h.get(sim.api_url)).json()["client"] == "svc"
            old = client.token()
            sim.revoke()
            r = await h.post(sim.api_url, content=b"z" * 10)
            assert r.status_code == 200 and [x.status_code for x in r.history] == [401]
            assert client.token() != old
            with pytest.raises(oauth2cc.InsufficientScopeError):
                await h.get(f"{sim.base}/api/scope/orders:write")

    asyncio.run(main())
    assert sim.requests() == 2


def test_httpx_async_does_not_block_the_event_loop(sim: Sim) -> None:
    sim.fault(kind="delay", ms=600)
    cold = oauth2cc.Client(sim.token_url, "svc", "s3cret-value")

    async def main() -> int:
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.01)

        t = asyncio.create_task(ticker())
        async with httpx.AsyncClient(auth=oauth2cc.HttpxAuth(cold)) as h:
            t0 = time.monotonic()
            r = await h.get(sim.api_url)
            assert r.status_code == 200 and time.monotonic() - t0 >= 0.6
        stop = True
        await t
        return ticks

    assert asyncio.run(main()) > 30, "the event loop was blocked during the token request"
