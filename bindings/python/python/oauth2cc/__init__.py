"""oauth2cc: OAuth 2.0 access tokens with the client credentials grant.

>>> import oauth2cc                                                   # doctest: +SKIP
>>> client = oauth2cc.Client(TOKEN_URL, "svc", "s3cret")              # doctest: +SKIP
>>> requests.get(API, auth=oauth2cc.RequestsAuth(client))             # doctest: +SKIP

``RequestsAuth`` needs ``requests`` and ``HttpxAuth`` needs ``httpx``
(``pip install oauth2cc[requests]`` / ``oauth2cc[httpx]``); both are imported
only when used. Log records go to the standard ``logging`` logger "oauth2cc".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._client import Client, TokenInfo, Unauthorized, classify_unauthorized
from ._errors import (
    APIError,
    ConfigurationError,
    InsufficientScopeError,
    InternalError,
    InvalidClientError,
    InvalidScopeError,
    NetworkError,
    OAuthError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    ServerError,
    TimeoutError,
    TLSError,
    UnauthorizedError,
)
from ._native import __version__

# As libraries do: without this, an application that never configured logging
# would get every warning (a failed token request) on stderr from Python's
# last-resort handler.
logging.getLogger("oauth2cc").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from ._httpx import HttpxAuth
    from ._requests import RequestsAuth

__all__ = [
    "APIError",
    "Client",
    "ConfigurationError",
    "HttpxAuth",
    "InsufficientScopeError",
    "InternalError",
    "InvalidClientError",
    "InvalidScopeError",
    "NetworkError",
    "OAuthError",
    "ProtocolError",
    "RateLimitedError",
    "RejectedError",
    "RequestsAuth",
    "ServerError",
    "TLSError",
    "TimeoutError",
    "TokenInfo",
    "Unauthorized",
    "UnauthorizedError",
    "__version__",
    "classify_unauthorized",
]


def __getattr__(name: str) -> Any:
    if name == "RequestsAuth":
        from ._requests import RequestsAuth

        return RequestsAuth
    if name == "HttpxAuth":
        from ._httpx import HttpxAuth

        return HttpxAuth
    raise AttributeError(f"module 'oauth2cc' has no attribute {name!r}")
