"""The Python side of oauth2cc.Client: from_env."""

from __future__ import annotations

import os

from . import _native
from ._native import ConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _env_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


_ENV_SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "OAUTH2CC_AUTH_METHOD": ("auth_method", str),
    "OAUTH2CC_SCOPE": ("scope", str),
    "OAUTH2CC_AUDIENCE": ("audience", str),
    "OAUTH2CC_RESOURCE": ("resource", str),
    "OAUTH2CC_CA_FILE": ("ca_file", str),
    "OAUTH2CC_PROXY": ("proxy", str),
    "OAUTH2CC_CONNECT_TIMEOUT": ("connect_timeout", float),
    "OAUTH2CC_TIMEOUT": ("timeout", float),
    "OAUTH2CC_MAX_REQUESTS_PER_SECOND": ("max_requests_per_second", float),
    "OAUTH2CC_CACHE_DIR": ("cache_dir", str),
    "OAUTH2CC_ALLOW_INSECURE_HTTP": ("allow_insecure_http", _env_bool),
}


class Client(_native.Client):
    """Gets OAuth 2.0 access tokens with the client credentials grant, caches
    them, and renews them at a random point between 80 % and 90 % of their
    lifetime, with at most one request in flight. Safe to share between
    threads; usable in a child after ``os.fork()``.

    >>> client = Client("https://iam.example.com/auth/realms/demo/protocol/openid-connect/token",
    ...                 "svc", "s3cret", scope="orders:read")     # doctest: +SKIP
    >>> headers = {"Authorization": f"Bearer {client.token()}"}  # doctest: +SKIP

    Keyword arguments: ``auth_method`` ("client_secret_basic", the default;
    "client_secret_basic_raw"; "client_secret_post"), ``scope``, ``audience``,
    ``resource``, ``extra_params`` (name/value pairs), ``ca_file``,
    ``connect_timeout`` (5 s), ``timeout`` (15 s), ``renew_between`` ((0.8, 0.9)),
    ``allow_insecure_http`` (False: http:// only to loopback), ``default_lifetime``
    (60 s), ``max_requests_per_second`` (10, at most 50, shared by the process),
    ``credential_cool_down`` (60 s), ``proxy`` (None: environment; "": none),
    ``cache_dir`` (None: this process only; a directory shares tokens between
    processes, as the ``oauth2cc`` command does).

    Errors are subclasses of :class:`oauth2cc.OAuthError`.
    """

    @classmethod
    def from_env(cls, **overrides: Any) -> Client:
        """A client from ``OAUTH2CC_TOKEN_URL``, ``OAUTH2CC_CLIENT_ID`` and
        ``OAUTH2CC_CLIENT_SECRET`` (or ``OAUTH2CC_CLIENT_SECRET_FILE``), plus
        ``OAUTH2CC_AUTH_METHOD``, ``OAUTH2CC_SCOPE``, ``OAUTH2CC_AUDIENCE``,
        ``OAUTH2CC_RESOURCE``, ``OAUTH2CC_CA_FILE``, ``OAUTH2CC_PROXY``,
        ``OAUTH2CC_CONNECT_TIMEOUT``, ``OAUTH2CC_TIMEOUT``,
        ``OAUTH2CC_MAX_REQUESTS_PER_SECOND``, ``OAUTH2CC_CACHE_DIR`` and
        ``OAUTH2CC_ALLOW_INSECURE_HTTP`` (1/true/yes or 0/false/no).
        Keyword arguments override them."""
        env = os.environ

        def need(name: str) -> str:
            value = env.get(name)
            if not value:
                raise ConfigurationError(f"{name} is not set")
            return value

        secret = env.get("OAUTH2CC_CLIENT_SECRET")
        secret_file = env.get("OAUTH2CC_CLIENT_SECRET_FILE")
        if secret is None and secret_file:
            try:
                with open(secret_file, encoding="utf-8") as f:
                    secret = f.read().rstrip("\r\n")
            except OSError as e:
                raise ConfigurationError(
                    f"cannot read OAUTH2CC_CLIENT_SECRET_FILE {secret_file}: {e.strerror}"
                ) from None
        if not secret:
            raise ConfigurationError(
                "set OAUTH2CC_CLIENT_SECRET or OAUTH2CC_CLIENT_SECRET_FILE"
            )
        kwargs: dict[str, Any] = {}
        for var, (name, conv) in _ENV_SETTINGS.items():
            if env.get(var):
                try:
                    kwargs[name] = conv(env[var])
                except ValueError:
                    raise ConfigurationError(f"{var} is not valid: {env[var]!r}") from None
        kwargs.update(overrides)
        return cls(need("OAUTH2CC_TOKEN_URL"), need("OAUTH2CC_CLIENT_ID"), secret, **kwargs)
