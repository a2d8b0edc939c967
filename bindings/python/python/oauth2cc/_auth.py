"""Shared by the requests and httpx integrations: what to do after a 401/403."""

from __future__ import annotations

from typing import Optional

from ._client import Client, Unauthorized
from ._errors import InsufficientScopeError, UnauthorizedError


def outcome(client: Client, status: int, used_token: str, www_authenticate: Optional[str]) -> Optional[Unauthorized]:
    """None when the response needs nothing; else the classification."""
    if status not in (401, 403):
        return None
    if status == 403 and not (www_authenticate and "insufficient_scope" in www_authenticate.lower()):
        return None  # a plain 403 is the API's business, passed through
    return client.handle_unauthorized(used_token, www_authenticate)


def raise_for(u: Unauthorized, status: int) -> None:
    """Raises the exception for an outcome a new token cannot fix (documented on the auth classes)."""
    if u.kind == "insufficient_scope":
        raise InsufficientScopeError(
            u.description, kind="insufficient_scope", status=status, error=u.error,
            error_description=u.error_description, scope=u.scope,
        )
    raise UnauthorizedError(
        u.description, kind=u.kind, status=status, error=u.error, error_description=u.error_description
    )
