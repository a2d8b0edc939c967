"""Mutual TLS (RFC 8705) for API calls: a client with ``client_cert=`` and
``client_key=`` gets tokens bound to its certificate, which an API accepts only
over a connection presenting that certificate. An auth class cannot choose the
connection's certificate, so these helpers build (or set up) the HTTP client
with it, and ``RequestsAuth`` refuses a session that sends another one."""

from __future__ import annotations

import os

from ._native import ConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    import httpx
    import requests

    from ._native import Client


def requests_session(client: Client, session: Optional[requests.Session] = None) -> requests.Session:
    """A ``requests.Session`` (``session``, or a new one) whose ``auth`` is
    ``RequestsAuth(client)`` and whose ``cert`` is the client's certificate
    and key, when it has them.

    >>> s = oauth2cc.requests_session(client)   # doctest: +SKIP
    >>> s.get("https://api.example.com/orders")  # doctest: +SKIP
    """
    import requests

    from ._requests import RequestsAuth

    s = session if session is not None else requests.Session()
    s.auth = RequestsAuth(client)
    files = client.client_cert_files
    if files is not None:
        s.cert = files
    return s


def _ssl_context(client: Client, verify: Any) -> Any:
    """``verify`` as httpx takes it, with the client's certificate loaded."""
    import ssl

    files = client.client_cert_files
    if files is None:
        return verify
    if isinstance(verify, ssl.SSLContext):
        ctx = verify
    elif verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, (str, os.PathLike)):
        ctx = ssl.create_default_context(cafile=os.fspath(verify))
    else:
        ctx = ssl.create_default_context()
    ctx.load_cert_chain(files[0], files[1])
    return ctx


def httpx_client(client: Client, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client(auth=HttpxAuth(client), **kwargs)`` that presents the
    client's certificate (when it has one) on every connection. ``verify``
    (True, False, a CA file or an ``ssl.SSLContext``) is kept; the
    certificate is loaded into its SSL context.

    >>> with oauth2cc.httpx_client(client) as http:    # doctest: +SKIP
    ...     http.get("https://api.example.com/orders")  # doctest: +SKIP
    """
    import httpx

    from ._httpx import HttpxAuth

    kwargs["verify"] = _ssl_context(client, kwargs.get("verify", True))
    return httpx.Client(auth=HttpxAuth(client), **kwargs)


def httpx_async_client(client: Client, **kwargs: Any) -> httpx.AsyncClient:
    """:func:`httpx_client` for ``httpx.AsyncClient``."""
    import httpx

    from ._httpx import HttpxAuth

    kwargs["verify"] = _ssl_context(client, kwargs.get("verify", True))
    return httpx.AsyncClient(auth=HttpxAuth(client), **kwargs)


def check_requests_cert(expected: tuple[str, str], sent: Any) -> None:
    """Raises ``ConfigurationError`` unless ``sent`` (the ``cert`` requests
    used) is the client's certificate and key files."""
    if isinstance(sent, (tuple, list)) and len(sent) == 2:
        same = all(os.path.realpath(os.fspath(a)) == os.path.realpath(b) for a, b in zip(sent, expected))
    else:
        same = False
    if not same:
        what = "no client certificate" if not sent else "another client certificate"
        raise ConfigurationError(
            f"the request went out with {what}, but this client's tokens are bound to its certificate "
            f"{expected[0]!r} (RFC 8705): use oauth2cc.requests_session(client), or set "
            "session.cert = client.client_cert_files"
        )
