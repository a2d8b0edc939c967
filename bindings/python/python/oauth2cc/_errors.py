"""oauth2cc's exceptions: one base class, one subclass per kind of failure.

Every exception carries what the token endpoint said, when it said it:
``status`` (HTTP status), ``error``, ``error_description`` and ``error_uri``
(RFC 6749 section 5.2), ``retry_after`` (seconds until a request is allowed
again), ``hint`` (advice) and ``kind`` (a short name of the failure). None of
them ever contains the client secret or a token.
"""

from __future__ import annotations

import builtins
from typing import Optional


class OAuthError(Exception):
    """Base class of every oauth2cc error."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = "internal",
        status: Optional[int] = None,
        error: Optional[str] = None,
        error_description: Optional[str] = None,
        error_uri: Optional[str] = None,
        retry_after: Optional[float] = None,
        hint: Optional[str] = None,
        scope: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.error = error
        self.error_description = error_description
        self.error_uri = error_uri
        self.retry_after = retry_after
        self.hint = hint
        self.scope = scope


class ConfigurationError(OAuthError, ValueError):
    """The configuration is unusable (bad URL, http:// to a remote host, unreadable CA file, ...)."""


class InvalidClientError(OAuthError):
    """The token endpoint rejected the client credentials. Not retried during the cool-down."""


class InvalidScopeError(OAuthError):
    """The client may not have the scope it asked for. Not retried during the cool-down."""


class RejectedError(OAuthError):
    """The token endpoint refused the request with another OAuth error."""


class RateLimitedError(OAuthError):
    """HTTP 429, or an earlier 429 asked to wait: ``retry_after`` says how long."""


class NetworkError(OAuthError, ConnectionError):
    """Could not connect, DNS failure, connection reset or closed early, proxy failure."""


class TimeoutError(OAuthError, builtins.TimeoutError):
    """The connect timeout or the whole-request timeout ran out."""


class TLSError(OAuthError):
    """TLS handshake or certificate verification failed."""


class ProtocolError(OAuthError):
    """A malformed or unexpected answer from the token endpoint."""


class ServerError(OAuthError):
    """The token endpoint failed (HTTP 5xx or 408)."""


class InternalError(OAuthError):
    """A bug in oauth2cc. Please report it."""


class APIError(OAuthError):
    """An API answered 401 or 403 in a way a new token cannot fix."""


class InsufficientScopeError(APIError):
    """The API needs a scope the client lacks (``scope`` names it)."""


class UnauthorizedError(APIError):
    """The API refused the call (``invalid_request``, another error, or no detail at all)."""
