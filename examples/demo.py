"""make demo, the Python part: a token through oauth2cc, the cache, and an
API call that survives a revoked token. Tokens are shown as fingerprints."""

import hashlib
import json
import os
import timeit
import urllib.error
import urllib.request

import oauth2cc


def fp(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def call_api(url: str, token: str) -> "tuple[int, str | None]":
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("WWW-Authenticate")


def main() -> None:
    sim = os.environ["OAUTH2CC_SIM_URL"]
    client = oauth2cc.Client(os.environ["OAUTH2CC_TOKEN_URL"], "svc", "s3cret-value", scope="orders:read")
    print(f"python: {client!r}")
    info = client.token_info()
    print(
        f"1. token {fp(info.access_token)}, {info.token_type}, scope {info.scope!r},"
        f" expires {info.expires_at:%H:%M:%S} UTC"
    )
    n = 200_000
    ns = timeit.timeit(client.token, number=n) / n * 1e9
    print(f"2. {n} cached client.token() calls: {ns:.0f} ns each")
    urllib.request.urlopen(urllib.request.Request(f"{sim}/sim/revoke", data=b"", method="POST"), timeout=10).read()
    token = client.token()
    status, www = call_api(f"{sim}/api/echo", token)
    print(f"3. the IAM revoked every token; the API answers {status}: {www}")
    outcome = client.handle_response(status, token, www)
    if outcome.should_retry:
        status, _ = call_api(f"{sim}/api/echo", client.token())
        print(f"   handle_response -> {outcome.action}: renewed to {fp(client.token())}, retry answers {status}")
    with urllib.request.urlopen(f"{sim}/sim/stats", timeout=10) as r:
        stats = json.load(r)
    print(f"4. token requests seen by the IAM for this client: {stats['token_requests_by_client'].get('svc')}")


if __name__ == "__main__":
    main()
