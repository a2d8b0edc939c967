"""oauth2cc: OAuth 2.0 access tokens with the client credentials grant.

>>> import oauth2cc                                                   # doctest: +SKIP
>>> client = oauth2cc.Client(TOKEN_URL, "svc", "s3cret")              # doctest: +SKIP
>>> requests.get(API, auth=oauth2cc.RequestsAuth(client))             # doctest: +SKIP

``RequestsAuth`` and ``requests_session`` need ``requests``; ``HttpxAuth``,
``httpx_client`` and ``httpx_async_client`` need ``httpx``
(``pip install oauth2cc[requests]`` / ``oauth2cc[httpx]``); both are imported
only when used (``oauth2cc.HttpxAuth``, ``from oauth2cc import HttpxAuth``),
so they are not in ``__all__``: ``from oauth2cc import *`` works without the
extras and never imports them.

``AuthMethod``, ``ErrorKind``, ``ResponseAction`` and ``Stats`` are types for
annotations only (``Literal`` aliases and a ``TypedDict``, seen by type
checkers; they do not exist at run time, so quote them or use
``from __future__ import annotations``). Log records go to the standard ``logging`` logger "oauth2cc"
(which gets a ``NullHandler``, as libraries do, when it first logs).

The classes (``Client``'s base, ``TokenInfo``, ``ResponseOutcome``) and the
exceptions are defined in the native module; importing this package imports
nothing else (no ``typing``, ``logging`` or ``datetime``).
"""

from __future__ import annotations

from ._client import Client
from ._native import (
    APIError,
    APIRejectedError,
    ConfigurationError,
    InsufficientScopeError,
    InternalError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    NetworkError,
    OAuthError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    RequestTimeoutError,
    ResponseOutcome,
    ServerError,
    TLSError,
    TokenInfo,
    UnauthorizedError,
    __version__,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import TypeAlias

    from ._httpx import HttpxAuth as HttpxAuth
    from ._mtls import httpx_async_client as httpx_async_client
    from ._mtls import httpx_client as httpx_client
    from ._mtls import requests_session as requests_session

    # Types for annotations only (they do not exist at run time). The aliases
    # are assignments, not `import _X as X`, so that type checkers see them
    # exported (mypy --strict: no implicit re-export).
    from ._native import Stats as Stats
    from ._native import _AuthMethod, _ErrorKind, _ResponseAction
    from ._requests import RequestsAuth as RequestsAuth

    AuthMethod: TypeAlias = _AuthMethod
    ErrorKind: TypeAlias = _ErrorKind
    ResponseAction: TypeAlias = _ResponseAction

# Not HttpxAuth and RequestsAuth: a star import must not import the extras.
__all__ = [
    "APIError",
    "APIRejectedError",
    "Client",
    "ConfigurationError",
    "InsufficientScopeError",
    "InternalError",
    "InvalidClientError",
    "InvalidRequestError",
    "InvalidScopeError",
    "NetworkError",
    "OAuthError",
    "ProtocolError",
    "RateLimitedError",
    "RejectedError",
    "RequestTimeoutError",
    "ResponseOutcome",
    "ServerError",
    "TLSError",
    "TokenInfo",
    "UnauthorizedError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "RequestsAuth":
        from ._requests import RequestsAuth as RequestsAuth

        return RequestsAuth
    if name == "HttpxAuth":
        from ._httpx import HttpxAuth as HttpxAuth

        return HttpxAuth
    if name in ("requests_session", "httpx_client", "httpx_async_client"):
        from . import _mtls

        return getattr(_mtls, name)
    if name == "TimeoutError":
        # The old name of RequestTimeoutError. Kept for old code, outside
        # __all__ so that `from oauth2cc import *` never shadows the builtin.
        import warnings

        warnings.warn(
            "oauth2cc.TimeoutError is deprecated: use oauth2cc.RequestTimeoutError (it is also a builtin TimeoutError)",
            DeprecationWarning,
            stacklevel=2,
        )
        return RequestTimeoutError
    raise AttributeError(f"module 'oauth2cc' has no attribute {name!r}")
