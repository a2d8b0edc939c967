"""oauth2cc.RequestsAuth: a requests auth class."""

from __future__ import annotations

from typing import Any

import requests
import requests.auth

from . import _auth
from ._client import Client


class RequestsAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <token>`` to each request. When the API
    answers 401 with ``error="invalid_token"``, the token is dropped (if still
    cached) and the request is sent once more with a new token.

    Other 401s, and 403 ``insufficient_scope``, raise
    :class:`oauth2cc.InsufficientScopeError` or :class:`oauth2cc.UnauthorizedError`
    when ``raise_on_unauthorized`` is true (the default); otherwise the
    response is returned as it is. A plain 403 is always returned.

    >>> session = requests.Session()                  # doctest: +SKIP
    >>> session.auth = oauth2cc.RequestsAuth(client)  # doctest: +SKIP
    """

    def __init__(self, client: Client, *, raise_on_unauthorized: bool = True) -> None:
        self.client = client
        self.raise_on_unauthorized = raise_on_unauthorized

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.client.token()
        r.headers["Authorization"] = f"Bearer {token}"
        if getattr(r.body, "seek", None) is not None:
            try:
                pos = r.body.tell()  # type: ignore[union-attr]
            except OSError:
                pos = None
        else:
            pos = None
        r.register_hook("response", self._make_hook(token, pos))
        return r

    def _make_hook(self, token: str, body_pos: Any) -> Any:
        def hook(resp: requests.Response, **kwargs: Any) -> requests.Response:
            u = _auth.outcome(self.client, resp.status_code, token, resp.headers.get("WWW-Authenticate"))
            if u is None:
                return resp
            if u.should_retry:
                retry = resp.request.copy()
                if body_pos is not None:
                    retry.body.seek(body_pos)  # type: ignore[union-attr]
                new_token = self.client.token()
                retry.headers["Authorization"] = f"Bearer {new_token}"
                resp.content  # noqa: B018 (reading the body releases the connection)
                resp.close()
                again = resp.connection.send(retry, **kwargs)
                again.history.append(resp)
                again.request = retry
                u2 = _auth.outcome(self.client, again.status_code, new_token, again.headers.get("WWW-Authenticate"))
                if u2 is not None and not u2.should_retry and self.raise_on_unauthorized:
                    _auth.raise_for(u2, again.status_code)
                return again
            if self.raise_on_unauthorized:
                _auth.raise_for(u, resp.status_code)
            return resp

        return hook
