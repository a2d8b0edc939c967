"""Shared by the requests and httpx integrations: the one call that asks the
core what an API's answer means (``Client.handle_response``)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:

    from ._native import Client


def resend(client: Client, raise_on_unauthorized: bool, status: int, token: str,
           www_authenticate: list[str], retried: bool) -> bool:
    """True when the request must be sent once more with a new token (the
    core dropped ``token`` if still cached). Raises the ``APIError`` the
    answer means when ``raise_on_unauthorized``; a second "retry" (the API
    rejects a fresh token too) is the caller's response, returned as it is."""
    outcome = client.handle_response(status, token, www_authenticate)
    if outcome.error is not None and raise_on_unauthorized:
        raise outcome.error
    return outcome.should_retry and not retried
