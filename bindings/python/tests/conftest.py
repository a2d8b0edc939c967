"""Starts the IAM simulator (target/debug/iam-sim, built by cargo) for each test."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
SIM = Path(os.environ.get("IAM_SIM", ROOT / "target" / "debug" / "iam-sim"))
CLIENTS = [
    "id=svc,secret=s3cret-value,scopes=orders:read+orders:write",
    "id=short,secret=short-secret,lifetime=2",
    "id=post-only,secret=post-secret,methods=post",
    # Signed JWT client authentication: the public halves of the test keys in tests/fixtures/keys.
    f"id=key-svc,secret=,methods=key_jwt,jwks={ROOT}/tests/fixtures/keys/public.jwks.json,"
    "jwk_names=rsa2048+p256+p384+ed25519",
    "id=jwt-svc,secret=jwt-secret-value-0123456789abcdef,methods=secret_jwt",
]


class Sim:
    def __init__(self, tls: bool = False) -> None:
        self.dir = tempfile.TemporaryDirectory()
        port_file = Path(self.dir.name) / "port"
        args = [str(SIM), "--port-file", str(port_file)]
        for c in CLIENTS:
            args += ["--client", c]
        self.ca_file: Optional[str] = None
        # A test-only client certificate and key (mutual TLS; HTTPS only).
        self.client_cert: Optional[str] = None
        self.client_key: Optional[str] = None
        if tls:
            self.ca_file = str(Path(self.dir.name) / "ca.pem")
            self.client_cert = str(Path(self.dir.name) / "client.pem")
            self.client_key = str(Path(self.dir.name) / "client.key")
            args += ["--tls", "localhost,127.0.0.1", "--ca-out", self.ca_file,
                     "--client-cert-out", str(Path(self.dir.name) / "client")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"iam-sim did not start: {err}")
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        self.token_url = f"{self.base}/realms/test/protocol/openid-connect/token"
        self.api_url = f"{self.base}/api/echo"
        self.issuer = f"{self.base}/realms/test"

    def _plain(self, path: str, body: Optional[bytes] = None) -> Any:
        assert self.base.startswith("http://"), "control requests go to the plain simulator"
        req = urllib.request.Request(self.base + path, data=body, method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stats(self) -> dict[str, Any]:
        return dict(self._plain("/sim/stats"))

    def requests(self) -> int:
        return int(self.stats()["token_requests"])

    def fault(self, **fault: Any) -> None:
        self._plain("/sim/faults", json.dumps(fault).encode())

    def discovery(self, **settings: Any) -> None:
        """members={...} replaces published metadata members; openid_configuration=False withholds that document."""
        self._plain("/sim/discovery", json.dumps(settings).encode())

    def revoke(self) -> None:
        self._plain("/sim/revoke", b"")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.dir.cleanup()


@pytest.fixture
def sim() -> Iterator[Sim]:
    s = Sim()
    yield s
    s.stop()


@pytest.fixture
def tls_sim() -> Iterator[Sim]:
    s = Sim(tls=True)
    yield s
    s.stop()
