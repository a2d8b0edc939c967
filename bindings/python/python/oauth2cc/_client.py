"""oauth2cc.Client: the native client (bindings/python/src/lib.rs) under its documented name."""

from __future__ import annotations

from . import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, TypeVar

    _C = TypeVar("_C", bound="Client")


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

    Beyond a shared secret (``client_secret`` may then be None):
    ``auth_method`` "client_secret_jwt" or "private_key_jwt" with
    ``private_key`` (a PEM file's path, or PEM text), ``signing_alg``,
    ``key_id`` and ``assertion_audience``; "tls_client_auth" or
    "self_signed_tls_client_auth" with ``client_cert`` and ``client_key``
    (PEM files; with another method they are presented too, and the server
    may bind the tokens to the certificate: call APIs through
    :func:`oauth2cc.requests_session` or :func:`oauth2cc.httpx_client`, see
    ``client_cert_files``); ``dpop=True`` for DPoP-bound tokens, with ``dpop_key`` (a
    PEM file) to keep the key across restarts. ``shared_cache_url``
    (``redis://``, ``rediss://`` trusting ``ca_file`` too, ``redis+unix://``;
    an ACL user and password in the URL, or the password in
    ``shared_cache_password_file``, never shown) shares one token, request
    budget and pause between the processes and hosts using that Redis or
    Valkey; ``shared_cache_timeout`` (seconds, default 0.05) bounds each
    exchange, after which the client works alone until Redis answers again.

    ``Client.from_issuer(issuer, client_id, client_secret=None, **keywords)``
    finds the token endpoint in the issuer's discovery document (it passes
    ``issuer`` with ``token_url`` None; ``Client(None, id, issuer=...)`` is
    the same). A DPoP client's API calls need ``dpop_proof(method, url,
    token)`` for each request (``RequestsAuth`` and ``HttpxAuth`` do it).
    ``Client.from_env(profile=None, **keywords)`` reads the ``OAUTH2CC_*``
    environment and the config file's profiles, as the ``oauth2cc`` command does.

    Errors are subclasses of :class:`oauth2cc.OAuthError`.
    """

    @classmethod
    def from_issuer(
        cls: type[_C], issuer: str, client_id: str, client_secret: Optional[str] = None, **keywords: Any
    ) -> _C:
        """A client whose token endpoint comes from ``issuer``'s discovery
        document (``<issuer>/.well-known/openid-configuration``, else on a 404
        RFC 8414's ``<origin>/.well-known/oauth-authorization-server<path>``).

        Nothing is sent here (the issuer URL is checked: ``https://``, or
        ``http://`` to loopback): the first call that needs a token fetches
        the document, once per process and issuer, again at most hourly.
        Its ``issuer`` must equal ``issuer`` exactly, else
        :class:`ConfigurationError` and no token request. Without
        ``auth_method``, the method is the first the server lists that the
        credentials given can do. A failure to fetch the document raises what
        a token request's would (:class:`NetworkError`, :class:`ServerError`,
        ...) and pauses like one. ``token_url`` shows the endpoint found.
        The keywords are ``Client``'s.

        >>> client = Client.from_issuer("https://iam.example.com/realms/demo", "svc", "s3cret")  # doctest: +SKIP
        """
        return cls(None, client_id, client_secret, issuer=issuer, **keywords)
