import datetime
import os
from typing import ClassVar, Literal, Optional, Sequence, Tuple, TypedDict, TypeVar, Union, final, type_check_only

from typing_extensions import TypeAlias, disjoint_base

__version__: str
__all__ = [
    "APIError", "APIRejectedError", "Client", "ConfigurationError", "InsufficientScopeError", "InternalError",
    "InvalidClientError", "InvalidRequestError", "InvalidScopeError", "NetworkError", "OAuthError", "ProtocolError",
    "RateLimitedError", "RejectedError", "RequestTimeoutError", "ResponseOutcome", "ServerError", "TLSError",
    "TokenInfo", "UnauthorizedError", "__version__",
]

# Types for annotations only (stub-only, hence private here; oauth2cc exports them without the underscore).

_AuthMethod: TypeAlias = Literal[
    "client_secret_basic",
    "client_secret_basic_raw",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
]
_ErrorKind: TypeAlias = Literal[
    "invalid_config",
    "invalid_client",
    "invalid_scope",
    "rejected",
    "rate_limited",
    "network",
    "timeout",
    "tls",
    "protocol",
    "server",
    "internal",
    "api_insufficient_scope",
    "api_invalid_request",
    "api_rejected",
    "api_unauthorized",
]
_ResponseAction: TypeAlias = Literal["proceed", "retry", "retry_with_nonce", "error"]

@type_check_only
class Stats(TypedDict):
    cached_reads: int
    token_requests: int
    successes: int
    failures: dict[_ErrorKind, int]
    token_expires_in: Optional[float]
    paused_for: Optional[float]
    last_error: Optional[_ErrorKind]

@final
class TokenInfo:
    @property
    def access_token(self) -> str: ...
    @property
    def token_type(self) -> str: ...
    @property
    def scope(self) -> Optional[str]: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    @property
    def expires_in(self) -> float: ...
    @property
    def granted_scopes(self) -> Tuple[str, ...]: ...

@final
class ResponseOutcome:
    @property
    def action(self) -> _ResponseAction: ...
    @property
    def error(self) -> Optional[APIError]: ...
    @property
    def should_retry(self) -> bool: ...

_C = TypeVar("_C", bound="Client")

@disjoint_base
class Client:
    def __new__(
        cls,
        token_url: Optional[str],
        client_id: str,
        client_secret: Optional[str] = None,
        *,
        auth_method: Optional[_AuthMethod] = None,
        scope: Optional[str] = None,
        audience: Optional[str] = None,
        resource: Optional[str] = None,
        extra_params: Optional[Sequence[Tuple[str, str]]] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        renew_between: Optional[Tuple[float, float]] = None,
        allow_insecure_http: Optional[bool] = None,
        default_lifetime: Optional[float] = None,
        max_requests_per_second: Optional[float] = None,
        credential_cool_down: Optional[float] = None,
        proxy: Optional[str] = None,
        cache_dir: Optional[Union[str, os.PathLike[str]]] = None,
        private_key: Optional[Union[str, os.PathLike[str]]] = None,
        signing_alg: Optional[str] = None,
        key_id: Optional[str] = None,
        assertion_audience: Optional[str] = None,
        client_cert: Optional[Union[str, os.PathLike[str]]] = None,
        client_key: Optional[Union[str, os.PathLike[str]]] = None,
        dpop: Optional[bool] = None,
        dpop_key: Optional[Union[str, os.PathLike[str]]] = None,
        issuer: Optional[str] = None,
        shared_cache_url: Optional[str] = None,
        shared_cache_password_file: Optional[Union[str, os.PathLike[str]]] = None,
        shared_cache_timeout: Optional[float] = None,
    ) -> "Client": ...
    @classmethod
    def from_env(
        cls: type[_C],
        profile: Optional[str] = None,
        *,
        token_url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        auth_method: Optional[_AuthMethod] = None,
        scope: Optional[str] = None,
        audience: Optional[str] = None,
        resource: Optional[str] = None,
        extra_params: Optional[Sequence[Tuple[str, str]]] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        renew_between: Optional[Tuple[float, float]] = None,
        allow_insecure_http: Optional[bool] = None,
        default_lifetime: Optional[float] = None,
        max_requests_per_second: Optional[float] = None,
        credential_cool_down: Optional[float] = None,
        proxy: Optional[str] = None,
        cache_dir: Optional[Union[str, os.PathLike[str]]] = None,
        private_key: Optional[Union[str, os.PathLike[str]]] = None,
        signing_alg: Optional[str] = None,
        key_id: Optional[str] = None,
        assertion_audience: Optional[str] = None,
        client_cert: Optional[Union[str, os.PathLike[str]]] = None,
        client_key: Optional[Union[str, os.PathLike[str]]] = None,
        dpop: Optional[bool] = None,
        dpop_key: Optional[Union[str, os.PathLike[str]]] = None,
        issuer: Optional[str] = None,
        shared_cache_url: Optional[str] = None,
        shared_cache_password_file: Optional[Union[str, os.PathLike[str]]] = None,
        shared_cache_timeout: Optional[float] = None,
    ) -> _C: ...
    def token(self) -> str: ...
    def cached_token(self) -> Optional[str]: ...
    def token_info(self) -> TokenInfo: ...
    def invalidate(self, token: str) -> bool: ...
    def handle_response(
        self,
        status: int,
        used_token: str,
        www_authenticate: Union[str, Sequence[str], None] = None,
        *,
        url: Optional[str] = None,
        dpop_nonce: Optional[str] = None,
    ) -> ResponseOutcome: ...
    def dpop_proof(self, method: str, url: str, token: Optional[str] = None) -> str: ...
    @property
    def dpop(self) -> bool: ...
    def handle_unauthorized(
        self, used_token: str, www_authenticate: Union[str, Sequence[str], None]
    ) -> ResponseOutcome: ...
    def set_secret(self, client_secret: str) -> None: ...
    def stats(self) -> Stats: ...
    @property
    def token_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_cert_files(self) -> Optional[tuple[str, str]]:
        """The client certificate and key files (``client_cert``, ``client_key``)
        as given, or None: the certificate an API must see with this client's
        certificate-bound tokens (RFC 8705)."""
        ...

class OAuthError(Exception):
    kind: ClassVar[_ErrorKind]
    status: Optional[int]
    error: Optional[str]
    error_description: Optional[str]
    error_uri: Optional[str]
    retry_after: Optional[float]
    hint: Optional[str]
    scope: Optional[str]
    @property
    def message(self) -> str: ...

class APIError(OAuthError): ...

class ConfigurationError(OAuthError, ValueError):
    kind: ClassVar[Literal["invalid_config"]]

class InvalidClientError(OAuthError):
    kind: ClassVar[Literal["invalid_client"]]

class InvalidScopeError(OAuthError):
    kind: ClassVar[Literal["invalid_scope"]]

class RejectedError(OAuthError):
    kind: ClassVar[Literal["rejected"]]

class RateLimitedError(OAuthError):
    kind: ClassVar[Literal["rate_limited"]]

class NetworkError(OAuthError, ConnectionError):
    kind: ClassVar[Literal["network"]]

class RequestTimeoutError(OAuthError, TimeoutError):
    kind: ClassVar[Literal["timeout"]]

class TLSError(OAuthError):
    kind: ClassVar[Literal["tls"]]

class ProtocolError(OAuthError):
    kind: ClassVar[Literal["protocol"]]

class ServerError(OAuthError):
    kind: ClassVar[Literal["server"]]

class InternalError(OAuthError):
    kind: ClassVar[Literal["internal"]]

class InsufficientScopeError(APIError):
    kind: ClassVar[Literal["api_insufficient_scope"]]

class InvalidRequestError(APIError):
    kind: ClassVar[Literal["api_invalid_request"]]

class APIRejectedError(APIError):
    kind: ClassVar[Literal["api_rejected"]]

class UnauthorizedError(APIError):
    kind: ClassVar[Literal["api_unauthorized"]]
