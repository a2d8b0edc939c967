"""Signed JWT client authentication: ``private_key=`` (a path or PEM text),
``signing_alg=``, ``key_id=``, ``assertion_audience=`` against the simulator,
which checks the assertion (key-svc: the public halves of tests/fixtures/keys)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim

KEYS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "keys"
JWT_SECRET = "jwt-secret-value-0123456789abcdef"


def test_private_key_as_a_path_or_as_pem_text(sim: Sim) -> None:
    cases: list[tuple[str | Path, str | None]] = [
        (str(KEYS / "p256.sec1.pem"), None),
        (KEYS / "ed25519.pkcs8.pem", None),
        ((KEYS / "rsa2048.pkcs1.pem").read_text(), "PS256"),
        ((KEYS / "p384.pkcs8.pem").read_text(), "ES384"),
    ]
    for key, alg in cases:
        before = sim.requests()
        c = oauth2cc.Client(
            sim.token_url, "key-svc", auth_method="private_key_jwt", private_key=key, signing_alg=alg, key_id="py-key"
        )
        t = c.token()
        assert c.token() == t
        assert sim.requests() == before + 1
        stats = sim.stats()
        assert stats["last_method"] == "private_key_jwt"
        assert ["client_id", "key-svc"] in stats["last_params"]
        if isinstance(key, str) and "BEGIN" in key:
            assert key[40:80] not in repr(c)


def test_client_secret_jwt_and_the_assertion_audience(sim: Sim) -> None:
    c = oauth2cc.Client(sim.token_url, "jwt-svc", JWT_SECRET, auth_method="client_secret_jwt", signing_alg="HS384")
    assert c.token()
    assert sim.stats()["last_method"] == "client_secret_jwt"
    issuer = sim.token_url.removesuffix("/protocol/openid-connect/token")
    c = oauth2cc.Client(
        sim.token_url, "jwt-svc", JWT_SECRET, auth_method="client_secret_jwt", assertion_audience=issuer
    )
    assert c.token()


@pytest.mark.parametrize(
    ("key", "alg", "message"),
    [
        (str(KEYS / "missing.pem"), None, "cannot read"),
        (str(KEYS / "rsa1024.pkcs8.pem"), None, "refused"),
        (str(KEYS / "p256.pkcs8.pem"), "RS256", "does not fit"),
        ("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n", None, "PEM"),
        (None, None, "needs a private key"),
    ],
)
def test_a_bad_key_fails_at_creation(sim: Sim, key: str | None, alg: str | None, message: str) -> None:
    with pytest.raises(oauth2cc.ConfigurationError, match=message):
        oauth2cc.Client(sim.token_url, "key-svc", auth_method="private_key_jwt", private_key=key, signing_alg=alg)
    assert sim.requests() == 0


def test_a_wrong_key_is_a_credential_rejection_without_a_retry_loop(sim: Sim) -> None:
    c = oauth2cc.Client(
        sim.token_url, "key-svc", auth_method="private_key_jwt", private_key=str(KEYS / "rsa2048-other.pkcs8.pem")
    )
    for _ in range(5):
        with pytest.raises(oauth2cc.InvalidClientError):
            c.token()
    assert sim.requests() == 1
