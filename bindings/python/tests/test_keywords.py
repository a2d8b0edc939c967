"""Every keyword of ``Client`` is documented (class docstring and the README's
Python section), in the stubs for ``Client`` and ``Client.from_env``, accepted
by ``from_env`` at run time, and the issue-14/15 keywords reach the core
through ``from_env`` as they do through ``Client``."""

from __future__ import annotations

import ast
import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim

ROOT = Path(__file__).resolve().parents[3]
STUB = ROOT / "bindings" / "python" / "python" / "oauth2cc" / "_native.pyi"
KEYS = ROOT / "tests" / "fixtures" / "keys"
POSITIONAL = {"token_url", "client_id", "client_secret"}


def _stub_keywords(method: str) -> list[str]:
    tree = ast.parse(STUB.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Client")
    fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method)
    return [a.arg for a in fn.args.kwonlyargs]


def _readme_python_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Python\n")
    return text[start : text.index("\n## ", start + 1)]


def test_every_keyword_is_documented_stubbed_and_taken_by_from_env() -> None:
    keywords = _stub_keywords("__new__")
    assert {"private_key", "client_cert", "dpop_key", "issuer", "shared_cache_timeout"} <= set(keywords)
    runtime = set(inspect.signature(oauth2cc.Client).parameters)
    env_stub = set(_stub_keywords("from_env"))
    env_runtime = set(inspect.signature(oauth2cc.Client.from_env).parameters)
    readme = _readme_python_section()
    doc = oauth2cc.Client.__doc__ or ""
    for kw in keywords:
        assert kw in runtime, kw
        assert f"``{kw}``" in doc or f"``{kw}=" in doc, f"{kw} is not in Client's docstring"
        assert kw in env_stub and kw in env_runtime, f"{kw} is not a keyword of from_env"
        assert f"{kw}=" in readme, f"{kw} is not in the README's Python section"
    for name in ("Client.from_issuer(", "dpop_proof(", "client_cert_files", "dpop_nonce="):
        assert name in readme, name


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("OAUTH2CC_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("OAUTH2CC_CONFIG", str(tmp_path / "no-config"))


@pytest.mark.usefixtures("no_env")
def test_dpop_and_issuer_keywords_through_from_env(sim: Sim) -> None:
    c = oauth2cc.Client.from_env(issuer=sim.issuer, client_id="svc", client_secret="s3cret-value", dpop=True)
    assert c.token_info().token_type == "DPoP"
    assert c.token_url == sim.token_url
    assert c.dpop_proof("GET", sim.api_url, c.token()).count(".") == 2
    # A DPoP key file that is not P-256: refused at creation, naming the key.
    with pytest.raises(oauth2cc.ConfigurationError, match="P-256"):
        oauth2cc.Client.from_env(
            token_url=sim.token_url, client_id="svc", client_secret="s3cret-value", dpop_key=KEYS / "p384.sec1.pem"
        )
    k = oauth2cc.Client.from_env(
        token_url=sim.token_url, client_id="svc", client_secret="s3cret-value", dpop_key=KEYS / "p256.pkcs8.pem"
    )
    assert k.token_info().token_type == "DPoP"


@pytest.mark.usefixtures("no_env")
def test_signing_keywords_through_from_env(sim: Sim) -> None:
    c = oauth2cc.Client.from_env(
        token_url=sim.token_url,
        client_id="key-svc",
        auth_method="private_key_jwt",
        private_key=KEYS / "p256.sec1.pem",
        signing_alg="ES256",
        key_id="py-key",
        assertion_audience=sim.token_url,
    )
    assert c.token()
    assert sim.stats()["last_method"] == "private_key_jwt"
    with pytest.raises(oauth2cc.ConfigurationError, match="ES384"):
        oauth2cc.Client.from_env(
            token_url=sim.token_url,
            client_id="key-svc",
            auth_method="private_key_jwt",
            private_key=KEYS / "p256.sec1.pem",
            signing_alg="ES384",
        )


@pytest.mark.usefixtures("no_env")
def test_certificate_and_shared_cache_keywords_through_from_env(tls_sim: Sim, tmp_path: Path) -> None:
    assert tls_sim.client_cert and tls_sim.client_key
    c = oauth2cc.Client.from_env(
        token_url=tls_sim.token_url,
        client_id="svc",
        client_secret="s3cret-value",
        ca_file=tls_sim.ca_file,
        client_cert=tls_sim.client_cert,
        client_key=tls_sim.client_key,
    )
    assert c.client_cert_files == (tls_sim.client_cert, tls_sim.client_key)
    assert c.token()
    # The shared cache's settings reach the core's checks (no Redis is contacted at creation).
    with pytest.raises(oauth2cc.ConfigurationError, match="shared cache password file"):
        oauth2cc.Client.from_env(
            token_url=tls_sim.token_url,
            client_id="svc",
            client_secret="s3cret-value",
            ca_file=tls_sim.ca_file,
            shared_cache_url="redis://127.0.0.1:9/",
            shared_cache_password_file=tmp_path / "missing",
            shared_cache_timeout=0.5,
        )
    with pytest.raises(oauth2cc.ConfigurationError, match="shared_cache_timeout"):
        oauth2cc.Client.from_env(
            token_url=tls_sim.token_url,
            client_id="svc",
            client_secret="s3cret-value",
            shared_cache_url="redis://127.0.0.1:9/",
            shared_cache_timeout=-1,
        )
