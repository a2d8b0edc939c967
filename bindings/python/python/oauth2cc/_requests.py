"""oauth2cc.RequestsAuth: a requests auth class."""

from __future__ import annotations

import requests
import requests.auth

from ._auth import authorization, resend
from ._mtls import check_requests_cert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._native import Client


class RequestsAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <token>`` to each request. When the API
    answers 401 with ``error="invalid_token"``, the token is dropped (if still
    cached) and the request is sent once more with a new token.

    Mutual TLS: for a client with a certificate (``client_cert=``), whose
    tokens the server may bind to it, each response is checked to have been
    sent with that certificate (the session's ``cert``, or ``cert=`` of the
    call): another certificate or none raises
    :class:`oauth2cc.ConfigurationError` (an auth class cannot choose the
    certificate). :func:`oauth2cc.requests_session` sets it up.

    Other 401s, and 403 ``insufficient_scope``, raise the
    :class:`oauth2cc.APIError` the answer means (``InsufficientScopeError``,
    ``InvalidRequestError``, ``APIRejectedError``, ``UnauthorizedError``)
    when ``raise_on_unauthorized`` is true (the default); otherwise the
    response is returned as it is. A plain 403 is always returned.

    With a DPoP client (``dpop=True``) each request carries
    ``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof for its method
    and URL; a 401 ``use_dpop_nonce`` is sent once more with a proof that
    carries the API's new nonce (the token is kept).

    >>> session = requests.Session()                  # doctest: +SKIP
    >>> session.auth = oauth2cc.RequestsAuth(client)  # doctest: +SKIP
    """

    def __init__(self, client: Client, *, raise_on_unauthorized: bool = True) -> None:
        self.client = client
        self.raise_on_unauthorized = raise_on_unauthorized
        self._dpop = bool(getattr(client, "dpop", False))
        self._cert_files = client.client_cert_files

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.client.token()
        if self._dpop:
            r.headers.update(authorization(self.client, True, r.method or "GET", r.url or "", token))
        else:
            r.headers["Authorization"] = "Bearer " + token
        body = r.body
        pos: int | None = None
        if hasattr(body, "seek"):
            try:
                pos = body.tell()  # type: ignore[union-attr]
            except OSError:
                pass
        # Appended directly: register_hook's isinstance(hook, Callable) check
        # costs more than the rest of this method.
        r.hooks["response"].append(_Hook(self, token, pos))
        return r


class _Hook:
    """The response hook of one request: the retry-once loop."""

    __slots__ = ("auth", "body_pos", "token")

    def __init__(self, auth: RequestsAuth, token: str, body_pos: int | None) -> None:
        self.auth, self.token, self.body_pos = auth, token, body_pos

    def __call__(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        auth = self.auth
        if auth._cert_files is not None:
            check_requests_cert(auth._cert_files, kwargs.get("cert"))
        url = (resp.request.url or "") if auth._dpop else None
        nonce = resp.headers.get("DPoP-Nonce") if auth._dpop else None
        if not resend(auth.client, auth.raise_on_unauthorized, resp.status_code, self.token, _www(resp), False,
                      url, nonce):
            return resp
        retry = resp.request.copy()
        if self.body_pos is not None:
            retry.body.seek(self.body_pos)  # type: ignore[union-attr]
        new_token = auth.client.token()
        retry.headers.update(authorization(auth.client, auth._dpop, retry.method or "GET", retry.url or "", new_token))
        _ = resp.content  # release the connection
        resp.close()
        again: requests.Response = resp.connection.send(retry, **kwargs)
        again.history.append(resp)
        again.request = retry
        resend(auth.client, auth.raise_on_unauthorized, again.status_code, new_token, _www(again), True, url,
               again.headers.get("DPoP-Nonce") if auth._dpop else None)
        return again


def _www(resp: requests.Response) -> list[str]:
    """Every WWW-Authenticate field, one string each (requests joins them with
    ", ", which lets a malformed field swallow the next)."""
    getlist = getattr(getattr(resp.raw, "headers", None), "getlist", None)
    if getlist is not None:
        fields: list[str] = getlist("WWW-Authenticate")
        return fields
    value = resp.headers.get("WWW-Authenticate")
    return [] if value is None else [value]
