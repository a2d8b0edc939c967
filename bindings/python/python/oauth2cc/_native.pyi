import os
from typing import Any, Optional, Sequence, Tuple, TypeVar, Union

from typing_extensions import disjoint_base

__all__ = ["Client", "__version__", "_classify_unauthorized", "_describe_unauthorized"]

__version__: str

_C = TypeVar("_C", bound="Client")

@disjoint_base
class Client:
    def __new__(
        cls,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        auth_method: Optional[str] = None,
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
    ) -> "Client": ...
    @classmethod
    def from_env(
        cls: type[_C],
        profile: Optional[str] = None,
        *,
        token_url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        auth_method: Optional[str] = None,
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
    ) -> _C: ...
    def token(self) -> str: ...
    def cached_token(self) -> Optional[str]: ...
    def _token_info(self) -> Tuple[str, str, Optional[str], float, float, Optional[str]]: ...
    def invalidate(self, token: str) -> bool: ...
    def _handle_unauthorized(
        self, used_token: str, www_authenticate: Optional[str]
    ) -> Tuple[str, Optional[str], Optional[str], Optional[str]]: ...
    def set_secret(self, client_secret: str) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    @property
    def token_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...

def _classify_unauthorized(
    www_authenticate: Optional[str],
) -> Tuple[str, Optional[str], Optional[str], Optional[str]]: ...
def _describe_unauthorized(www_authenticate: Optional[str]) -> str: ...
