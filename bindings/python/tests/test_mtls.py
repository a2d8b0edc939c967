"""Mutual TLS (RFC 8705): client_cert= / client_key=, and certificate-bound
tokens presented to an API with requests and httpx. The HTTPS simulator binds
a token to the certificate presented with its request and its API refuses the
token (401 invalid_token) over a connection without that certificate."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
from typing import TYPE_CHECKING

import httpx
import pytest
import requests

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim


def bound_client(sim: Sim) -> oauth2cc.Client:
    return oauth2cc.Client(sim.token_url, "svc", "s3cret-value", ca_file=sim.ca_file, proxy="",
                           client_cert=sim.client_cert, client_key=sim.client_key)


def test_client_cert_and_key_keywords(tls_sim: Sim) -> None:
    c = bound_client(tls_sim)
    assert c.client_cert_files == (tls_sim.client_cert, tls_sim.client_key)
    assert c.token()
    plain = oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", ca_file=tls_sim.ca_file, proxy="")
    assert plain.client_cert_files is None
    # The key never shows.
    key = open(str(tls_sim.client_key)).read()
    line = key.splitlines()[1]
    assert line not in repr(c) and line not in str(c.stats())


def test_bad_certificate_files_are_configuration_errors_at_creation(tls_sim: Sim) -> None:
    with pytest.raises(oauth2cc.ConfigurationError, match="cannot read client key file"):
        oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", ca_file=tls_sim.ca_file,
                        client_cert=tls_sim.client_cert, client_key="/nonexistent/client.key")
    with pytest.raises(oauth2cc.ConfigurationError, match="no private key"):
        oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", ca_file=tls_sim.ca_file,
                        client_cert=tls_sim.client_cert, client_key=tls_sim.client_cert)
    with pytest.raises(oauth2cc.ConfigurationError, match="client certificate"):
        oauth2cc.Client(tls_sim.token_url, "svc", None, auth_method="tls_client_auth", ca_file=tls_sim.ca_file)


def test_requests_session_presents_the_certificate(tls_sim: Sim) -> None:
    c = bound_client(tls_sim)
    s = oauth2cc.requests_session(c)
    assert s.cert == c.client_cert_files
    assert isinstance(s.auth, oauth2cc.RequestsAuth)
    r = s.get(tls_sim.api_url, verify=tls_sim.ca_file)
    assert r.status_code == 200, r.text
    # Without the helper's session, the bound token is refused by the API.
    r = requests.get(tls_sim.api_url, headers={"Authorization": "Bearer " + c.token()}, verify=tls_sim.ca_file)
    assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]


def test_requests_auth_refuses_a_session_without_or_with_another_certificate(tls_sim: Sim, tmp_path: object) -> None:
    c = bound_client(tls_sim)
    with pytest.raises(oauth2cc.ConfigurationError, match="no client certificate.*requests_session"):
        requests.get(tls_sim.api_url, auth=oauth2cc.RequestsAuth(c), verify=tls_sim.ca_file)
    # The same files under other names are another certificate as far as requests tells.
    other = os.path.join(str(tmp_path), "other.pem"), os.path.join(str(tmp_path), "other.key")
    shutil.copy(str(tls_sim.client_cert), other[0])
    shutil.copy(str(tls_sim.client_key), other[1])
    with pytest.raises(oauth2cc.ConfigurationError, match="another client certificate"):
        requests.get(tls_sim.api_url, auth=oauth2cc.RequestsAuth(c), verify=tls_sim.ca_file, cert=other)
    # A client without a certificate: no check.
    plain = oauth2cc.Client(tls_sim.token_url, "svc", "s3cret-value", ca_file=tls_sim.ca_file, proxy="")
    assert requests.get(tls_sim.api_url, auth=oauth2cc.RequestsAuth(plain), verify=tls_sim.ca_file).status_code == 200


def test_httpx_clients_present_the_certificate(tls_sim: Sim) -> None:
    c = bound_client(tls_sim)
    with oauth2cc.httpx_client(c, verify=tls_sim.ca_file) as http:
        assert http.get(tls_sim.api_url).status_code == 200

    async def run() -> int:
        async with oauth2cc.httpx_async_client(c, verify=tls_sim.ca_file) as http:
            return (await http.get(tls_sim.api_url)).status_code

    assert asyncio.run(run()) == 200
    # HttpxAuth alone cannot choose the certificate: the API refuses the bound token.
    ctx = ssl.create_default_context(cafile=tls_sim.ca_file)
    with httpx.Client(auth=oauth2cc.HttpxAuth(c, raise_on_unauthorized=False), verify=ctx) as http:
        assert http.get(tls_sim.api_url).status_code == 401
    # Raising (the default): a renewed certificate-bound token refused too is
    # the missing certificate, said as such, not a 401 handed back.
    with httpx.Client(auth=oauth2cc.HttpxAuth(c), verify=ctx) as http:
        with pytest.raises(oauth2cc.ConfigurationError, match="certificate"):
            http.get(tls_sim.api_url)
