"""Shared by the requests and httpx integrations: the one call that asks the
core what an API's answer means (``Client.handle_response``)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:

    from ._native import Client


def resend(client: Client, raise_on_unauthorized: bool, status: int, token: str,
           www_authenticate: list[str], retried: bool, url: str | None = None,
           dpop_nonce: str | None = None) -> bool:
    """True when the request must be sent once more: with a new token (the
    core dropped ``token`` if still cached) or, for a DPoP client (``url``
    given), with a new proof carrying the server's new nonce. Raises the
    ``APIError`` the answer means when ``raise_on_unauthorized``; a second
    "retry" (one resend per request, whatever the reason) is the caller's
    response, returned as it is."""
    if url is None:
        outcome = client.handle_response(status, token, www_authenticate)
    else:
        outcome = client.handle_response(status, token, www_authenticate, url=url, dpop_nonce=dpop_nonce)
    if outcome.error is not None and raise_on_unauthorized:
        raise outcome.error
    if outcome.should_retry and retried and raise_on_unauthorized and client.client_cert_files is not None:
        # A freshly renewed token refused too, from a client whose tokens are
        # bound to its certificate: the request did not present it.
        from ._native import ConfigurationError

        raise ConfigurationError(
            "the API refused a freshly renewed token bound to this client's certificate: the request did not "
            "present the certificate (build the session with oauth2cc.requests_session(client), the httpx client "
            "with oauth2cc.httpx_client(client) or httpx_async_client(client), after a rotation too)"
        )
    return outcome.should_retry and not retried


def authorization(client: Client, dpop: bool, method: str, url: str, token: str) -> dict[str, str]:
    """The headers that carry ``token``: ``Authorization: Bearer``, or for a
    DPoP client ``Authorization: DPoP`` and a fresh ``DPoP`` proof (a new
    ``jti`` for every request, a resend included)."""
    if not dpop:
        return {"Authorization": "Bearer " + token}
    return {"Authorization": "DPoP " + token, "DPoP": client.dpop_proof(method, url, token)}
