"""The Python side of oauth2cc.Client: token_info, from_env, 401 handling, repr."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Optional, Tuple

from . import _native


@dataclass(frozen=True)
class TokenInfo:
    """The current token and what the token endpoint said about it."""

    access_token: str
    token_type: str
    scope: Optional[str]
    #: When the token expires (UTC), counted from when the request was sent.
    expires_at: datetime.datetime
    #: Seconds left when this was made.
    expires_in: float
    #: The scopes granted: the answer's ``scope``, or the requested scope when
    #: the answer had none (RFC 6749 section 5.1); empty when neither is known.
    #: Fewer than requested means the server narrowed the grant (also logged).
    granted_scopes: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"TokenInfo(token_type={self.token_type!r}, scope={self.scope!r}, "
            f"granted_scopes={self.granted_scopes!r}, "
            f"expires_at={self.expires_at!r})"
        )


@dataclass(frozen=True)
class Unauthorized:
    """What an API's 401/403 means for a Bearer client (RFC 6750 section 3).

    ``kind`` is one of "invalid_token" (renew and retry once),
    "insufficient_scope", "invalid_request", "other" and "no_detail".
    """

    kind: str
    error: Optional[str]
    error_description: Optional[str]
    scope: Optional[str]
    description: str

    @property
    def should_retry(self) -> bool:
        return self.kind == "invalid_token"


def classify_unauthorized(www_authenticate: Optional[str]) -> Unauthorized:
    """Classifies an API's ``WWW-Authenticate`` value (None when absent)."""
    kind, error, desc, scope = _native._classify_unauthorized(www_authenticate)
    return Unauthorized(kind, error, desc, scope, _native._describe_unauthorized(www_authenticate))


class Client(_native.Client):
    """Gets OAuth 2.0 access tokens with the client credentials grant, caches
    them, and renews them at a random point between 80 % and 90 % of their
    lifetime, with at most one request in flight. Safe to share between
    threads; usable in a child after ``os.fork()``.

    >>> client = Client("https://iam.example.com/auth/realms/demo/protocol/openid-connect/token",
    ...                 "svc", "s3cret", scope="orders:read")     # doctest: +SKIP
    >>> headers = {"Authorization": f"Bearer {client.token()}"}  # doctest: +SKIP

    Keyword arguments (None, the default for each, means the library's
    default, documented in the README and the C header): ``auth_method``
    ("client_secret_basic", "client_secret_basic_raw", "client_secret_post"),
    ``scope``, ``audience``, ``resource``, ``extra_params`` (name/value pairs),
    ``ca_file``, ``connect_timeout`` and ``timeout`` (seconds),
    ``renew_between`` (fractions of the lifetime), ``allow_insecure_http``
    (http:// to a host that is not loopback), ``default_lifetime``,
    ``max_requests_per_second`` (shared by the process), ``credential_cool_down``,
    ``proxy`` (None: environment; "": none), ``cache_dir`` (None: this process
    only; a directory shares tokens between processes, as the ``oauth2cc``
    command does).

    ``Client.from_env(profile=None, **keywords)`` reads the ``OAUTH2CC_*``
    environment and the config file's profiles, as the ``oauth2cc`` command does.

    Errors are subclasses of :class:`oauth2cc.OAuthError`.
    """

    def token_info(self) -> TokenInfo:
        """The current token (fetched if needed) with its type, scope and expiry."""
        token, token_type, scope, expires_at, expires_in, granted = self._token_info()
        at = datetime.datetime.fromtimestamp(expires_at, tz=datetime.timezone.utc)
        return TokenInfo(token, token_type, scope, at, expires_in, tuple((granted or "").split()))

    def handle_unauthorized(self, used_token: str, www_authenticate: Optional[str]) -> Unauthorized:
        """What an API's 401/403 means, given the token sent and the response's
        ``WWW-Authenticate`` (None if absent). On "invalid_token" the token is
        dropped if still cached: call :meth:`token` and retry once."""
        kind, error, desc, scope = self._handle_unauthorized(used_token, www_authenticate)
        return Unauthorized(kind, error, desc, scope, _native._describe_unauthorized(www_authenticate))

    def __repr__(self) -> str:
        return f"<oauth2cc.Client token_url={self.token_url!r} client_id={self.client_id!r}>"
