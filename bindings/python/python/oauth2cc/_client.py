"""oauth2cc.Client: the native client (bindings/python/src/lib.rs) under its documented name."""

from __future__ import annotations

from . import _native


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
