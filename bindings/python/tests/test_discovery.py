"""Client.from_issuer: the token endpoint and auth method from the issuer's metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim


def test_from_issuer_discovers_the_token_endpoint(sim: Sim) -> None:
    c = oauth2cc.Client.from_issuer(sim.issuer, "svc", "s3cret-value", scope="orders:read")
    assert sim.stats()["discovery_requests"] == 0, "nothing is sent at creation"
    c.token()
    assert sim.requests() == 1 and sim.stats()["discovery_requests"] == 1
    assert c.token_url == sim.token_url
    assert dict(sim.stats()["last_params"])["scope"] == "orders:read"


def test_from_issuer_picks_the_method_the_server_lists(sim: Sim) -> None:
    sim.discovery(members={"token_endpoint_auth_methods_supported": ["client_secret_post"]})
    oauth2cc.Client.from_issuer(sim.issuer, "post-only", "post-secret").token()
    assert sim.stats()["last_method"] == "post"


def test_a_mismatched_issuer_raises_configuration_error_without_a_token_request(sim: Sim) -> None:
    c = oauth2cc.Client.from_issuer(sim.issuer + "/", "svc", "s3cret-value")
    with pytest.raises(oauth2cc.ConfigurationError, match="names issuer"):
        c.token()
    assert sim.requests() == 0


def test_from_issuer_checks_the_issuer_at_creation() -> None:
    with pytest.raises(oauth2cc.ConfigurationError, match="http://"):
        oauth2cc.Client.from_issuer("http://iam.example.com/realms/x", "svc", "s3cret-value")
