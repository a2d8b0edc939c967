"""oauth2cc.HttpxAuth: an httpx auth class for httpx.Client and httpx.AsyncClient."""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator, Generator

import httpx

from . import _auth
from ._client import Client


class HttpxAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <token>`` to each request. When the API
    answers 401 with ``error="invalid_token"``, the token is dropped (if still
    cached) and the request is sent once more with a new token.

    Works with ``httpx.Client`` and ``httpx.AsyncClient``; with the latter a
    token request runs in a worker thread, so the event loop never blocks
    (a cached token is read without any thread hop).

    Other 401s, and 403 ``insufficient_scope``, raise
    :class:`oauth2cc.InsufficientScopeError` or :class:`oauth2cc.UnauthorizedError`
    when ``raise_on_unauthorized`` is true (the default); otherwise the
    response is returned. A plain 403 is always returned.

    >>> httpx.Client(auth=oauth2cc.HttpxAuth(client))  # doctest: +SKIP
    """

    requires_request_body = True

    def __init__(self, client: Client, *, raise_on_unauthorized: bool = True) -> None:
        self.client = client
        self.raise_on_unauthorized = raise_on_unauthorized

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.client.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        u = _auth.outcome(self.client, response.status_code, token, response.headers.get("WWW-Authenticate"))
        if u is None:
            return
        if u.should_retry:
            token = self.client.token()
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            u = _auth.outcome(self.client, response.status_code, token, response.headers.get("WWW-Authenticate"))
            if u is None or u.should_retry:
                return
        if self.raise_on_unauthorized:
            response.read()
            _auth.raise_for(u, response.status_code)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        u = _auth.outcome(self.client, response.status_code, token, response.headers.get("WWW-Authenticate"))
        if u is None:
            return
        if u.should_retry:
            token = await self._token()
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            u = _auth.outcome(self.client, response.status_code, token, response.headers.get("WWW-Authenticate"))
            if u is None or u.should_retry:
                return
        if self.raise_on_unauthorized:
            await response.aread()
            _auth.raise_for(u, response.status_code)

    async def _token(self) -> str:
        cached = self.client.cached_token()
        if cached is not None:
            return cached
        return await asyncio.get_running_loop().run_in_executor(None, self.client.token)
