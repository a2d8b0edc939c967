"""Narrowed scopes and caught panics, as Python sees them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

import oauth2cc

if TYPE_CHECKING:
    from conftest import Sim


def test_token_info_exposes_the_granted_scopes_and_a_narrowed_grant_is_logged_once(
    sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="oauth2cc")
    sim.fault(kind="scope", value="profile orders:read")
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", scope="orders:read orders:write")
    info = c.token_info()
    assert info.scope == "profile orders:read"
    assert info.granted_scopes == ("profile", "orders:read")
    for _ in range(3):
        c.token_info()
    warned = [r.getMessage() for r in caplog.records if "orders:write" in r.getMessage()]
    assert len(warned) == 1, warned
    assert info.access_token not in warned[0] and "s3cret-value" not in warned[0]
    assert "granted_scopes" in repr(info)


def test_an_absent_scope_means_the_requested_one_was_granted(sim: Sim) -> None:
    sim.fault(kind="scope")
    c = oauth2cc.Client(sim.token_url, "svc", "s3cret-value", scope="orders:read")
    info = c.token_info()
    assert info.scope is None
    assert info.granted_scopes == ("orders:read",)


def test_a_caught_panic_is_an_internal_error_and_prints_nothing(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # The core's test hook: token requests of this client id panic.
    monkeypatch.setenv("OAUTH2CC_TEST_PANIC_CLIENT_ID", "panic-me")
    c = oauth2cc.Client(sim.token_url, "panic-me", "s3cret-value")
    with pytest.raises(oauth2cc.InternalError) as raised:
        c.token()
    assert isinstance(raised.value, oauth2cc.OAuthError)
    assert raised.value.kind == "internal"
    try:
        c.token_info()
    except oauth2cc.OAuthError as e:  # what a caller writes catches it
        assert "internal error" in str(e)
    else:
        pytest.fail("no error")
    out, err = capfd.readouterr()
    assert err == "" and out == "", (out, err)
