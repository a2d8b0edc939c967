import os
from typing import Any, Optional, Sequence, Tuple, Union

from typing_extensions import disjoint_base

__all__ = ["Client", "__version__", "_classify_unauthorized", "_describe_unauthorized"]

__version__: str

@disjoint_base
class Client:
    def __new__(
        cls,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        auth_method: str = "client_secret_basic",
        scope: Optional[str] = None,
        audience: Optional[str] = None,
        resource: Optional[str] = None,
        extra_params: Optional[Sequence[Tuple[str, str]]] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        connect_timeout: float = 5.0,
        timeout: float = 15.0,
        renew_between: Tuple[float, float] = (0.8, 0.9),
        allow_insecure_http: bool = False,
        default_lifetime: float = 60.0,
        max_requests_per_second: float = 10.0,
        credential_cool_down: float = 60.0,
        proxy: Optional[str] = None,
        cache_dir: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> "Client": ...
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
