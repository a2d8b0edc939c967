"""oauth2cc.HttpxAuth: an httpx auth class for httpx.Client and httpx.AsyncClient."""

from __future__ import annotations

import asyncio

import httpx

from ._auth import authorization, resend

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Generator

    from ._native import Client


class HttpxAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <token>`` to each request. When the API
    answers 401 with ``error="invalid_token"``, the token is dropped (if still
    cached) and the request is sent once more with a new token.

    Works with ``httpx.Client`` and ``httpx.AsyncClient``; with the latter a
    token request runs in a worker thread, so the event loop never blocks
    (a cached token is read without any thread hop).

    Mutual TLS: an auth class cannot choose (or see) the connection's client
    certificate; for a client with ``client_cert=``, whose tokens the server
    may bind to that certificate, build the httpx client with
    :func:`oauth2cc.httpx_client` / :func:`oauth2cc.httpx_async_client`.

    Other 401s, and 403 ``insufficient_scope``, raise the
    :class:`oauth2cc.APIError` the answer means (``InsufficientScopeError``,
    ``InvalidRequestError``, ``APIRejectedError``, ``UnauthorizedError``)
    when ``raise_on_unauthorized`` is true (the default); otherwise the
    response is returned. A plain 403 is always returned.

    With a DPoP client (``dpop=True``) each request carries
    ``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof; a 401
    ``use_dpop_nonce`` is sent once more with the API's new nonce.

    >>> httpx.Client(auth=oauth2cc.HttpxAuth(client))  # doctest: +SKIP
    """

    requires_request_body = True

    def __init__(self, client: Client, *, raise_on_unauthorized: bool = True) -> None:
        self.client = client
        self.raise_on_unauthorized = raise_on_unauthorized
        self._dpop = bool(getattr(client, "dpop", False))

    def _flow(
        self, request: httpx.Request, token: str, renew: Callable[[], str] | None
    ) -> Generator[httpx.Request | None, httpx.Response | str | None, None]:
        """The retry-once loop, for both drivers: yields the request to send
        (and is sent the response). For a new token it calls ``renew``, or
        without one yields None (and is sent the token)."""
        retried = False
        dpop = self._dpop
        url = str(request.url) if dpop else None
        while True:
            if dpop:
                request.headers.update(authorization(self.client, True, request.method, str(request.url), token))
            else:
                request.headers["Authorization"] = "Bearer " + token
            response = yield request
            assert isinstance(response, httpx.Response)
            if not resend(self.client, self.raise_on_unauthorized, response.status_code, token,
                          response.headers.get_list("WWW-Authenticate"), retried, url,
                          response.headers.get("DPoP-Nonce") if dpop else None):
                return
            retried = True
            new_token = renew() if renew is not None else (yield None)
            assert isinstance(new_token, str)
            token = new_token

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # The flow itself (one generator per request: this runs for every
        # call); with ``renew`` it never yields None.
        return self._flow(request, self.client.token(), self.client.token)  # type: ignore[return-value]

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request, await self._token(), None)
        step = next(flow)
        while True:
            try:
                step = flow.send((yield step) if step is not None else await self._token())
            except StopIteration:
                return

    async def _token(self) -> str:
        cached = self.client.cached_token()
        if cached is not None:
            return cached
        return await asyncio.get_running_loop().run_in_executor(None, self.client.token)
