"""Turns the JSON lines of one `make bench` run into bench/RESULTS.md."""

import datetime
import json
import platform
import subprocess
import sys
from collections import defaultdict


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def fmt_ns(ns):
    return f"{ns:,.0f} ns" if ns >= 100 else f"{ns:.1f} ns"


def fleet_section(by):
    """Fleet mode (Redis): benches/fleet.rs."""
    if not (by["fleet_cached_read"] or by["fleet_cold_start"] or by["fleet_50"]):
        return []
    lines = ["## Fleet mode (Redis)", "",
             "`crates/oauth2cc-core/benches/fleet.rs`, a local redis-server and the in-process simulator.", ""]
    for r in by["fleet_cached_read"]:
        lines.append(f"- cached read (Rust `with_token`, 1 KiB token, 1 thread; goal: equal): fleet off {r['off_ns']:.1f} ns, "
                     f"on {r['on_ns']:.1f} ns (on / off = {r['ratio']:.2f}), medians of 7 interleaved runs of 2 M calls")
    for r in by["fleet_cold_start"]:
        lines.append(f"- cold start of a process, spawn to exit with a token: joining a warm fleet {r['warm_ms']:.2f} ms, "
                     f"a cold one (it requests the token) {r['cold_ms']:.2f} ms (medians of {r['runs']}, interleaved; "
                     "the local simulator answers in about 0.1 ms, a real IAM in tens of ms)")
    for r in by["fleet_50"]:
        lines.append(f"- {r['processes']} processes asking every 20 ms for {r['run_ms'] / 1000:.0f} s, {r['lifetime_s']} s tokens: "
                     f"{r['requests']} token requests for {r['tokens']} tokens (cold start and renewals): "
                     f"{r['requests_per_token']:.2f} requests per renewal (goal 1), {r['errors']} failed calls")
    return lines + [""]


def main(results_path, out_path, command):
    rows = load(results_path)
    by = defaultdict(list)
    for r in rows:
        by[r["bench"]].append(r)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` on {datetime.date.today().isoformat()}, {platform.machine()}, {cpu or 'unknown CPU'},",
        f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, in one run against one local simulator.",
        "",
        "These machines are shared and noisy: absolute times drift from run to run",
        "and machine to machine. The ratios between libraries measured in the same",
        "run are what count. Medians of 7 runs unless noted.",
        "",
        "## Cached token from C: `oauth_get_token`, 1 KiB token",
        "",
        "Goal: at most 60 ns median single-threaded, throughput that grows with threads.",
        "Peer: Go's `golang.org/x/oauth2` `clientcredentials` token source (a `ReuseTokenSource`),",
        "Debian's golang-golang-x-oauth2-dev, timed the same way (`ts.Token()`).",
        "",
        "| threads | oauth2cc ns/call | oauth2cc M calls/s | Go ns/call | Go M calls/s | Go / oauth2cc (time) |",
        "|---|---|---|---|---|---|",
    ]
    go = {r["threads"]: r for r in by["go_cached"]}
    for r in by["c_cached"]:
        g = go.get(r["threads"])
        gcols = (f"{g['median_ns_per_call']:.1f} | {g['median_mcalls_per_s']:.2f} | {g['median_ns_per_call'] / r['median_ns_per_call']:.1f}x"
                 if g else "n/a | n/a | n/a")
        lines.append(f"| {r['threads']} | {r['median_ns_per_call']:.1f} | {r['median_mcalls_per_s']:.2f} | {gcols} |")
    lines += ["", "ns/call is per thread (wall time / calls per thread); with more threads than the machine's",
              "cores, per-thread time grows while total throughput stays flat.", ""]
    if by["criterion"]:
        lines += ["## Rust (criterion)", "", "| benchmark | median |", "|---|---|"]
        for r in by["criterion"]:
            lines.append(f"| {r['name']} | {fmt_ns(r['median_ns'])} |")
        lines.append("")
    lines += fleet_section(by)
    lines += ["## Cached token from Python", "",
              "Goal: a cached `client.token()` at most 150 ns and ahead of every peer.", "",
              "| library | what is timed | median | ratio to oauth2cc `client.token()` |", "|---|---|---|---|"]
    base = next((r["median_ns"] for r in by["py_cached"] if r["lib"] == "oauth2cc"), None)
    for r in by["py_cached"]:
        ratio = f"{r['median_ns'] / base:.1f}x" if base else "n/a"
        lines.append(f"| {r['lib']} | {r['what']} | {fmt_ns(r['median_ns'])} | {ratio} |")
    lines += ["", "## Per-request overhead of the auth integrations (Python)", "",
              "The time the auth adds to one request: building the header on a prepared request.", "",
              "| library | integration | median | ratio to oauth2cc HttpxAuth |", "|---|---|---|---|"]
    base = next((r["median_ns"] for r in by["py_per_request"] if r["what"].startswith("HttpxAuth")), None)
    for r in by["py_per_request"]:
        ratio = f"{r['median_ns'] / base:.1f}x" if base else "n/a"
        lines.append(f"| {r['lib']} | {r['what']} | {fmt_ns(r['median_ns'])} | {ratio} |")
    lines += ["", "## Stampede: token requests the server saw", "",
              "32 threads ask a cold client at once, with a 200 ms delay at the token endpoint; then 32",
              "threads keep asking for 3 s of a 2 s token (one renewal due), with the same delay.",
              "Goal for oauth2cc: exactly 1 each time. The simulator answers 429 above 50 requests/s, as the IAM does.", "",
              "| library | phase | token requests | failed calls |", "|---|---|---|---|"]
    for r in by["stampede"]:
        lines.append(f"| {r['lib']} | {r['phase']} | {r['token_requests']} | {r.get('failed_calls', 0)} |")
    lines += ["", "## Footprint", ""]
    for r in by["footprint_so"]:
        lines.append(f"- stripped `liboauth2cc.so`: {r['bytes'] / 1024 / 1024:.2f} MiB ({r['bytes']:,} bytes)")
    for r in by["footprint"]:
        lines.append(f"- a process holding {r['clients']:,} clients with cached tokens: RSS {r['rss_before_kib']:,} KiB before, "
                     f"{r['rss_after_kib']:,} KiB after ({r['kib_per_client']:.1f} KiB per client)")
    for r in by["footprint_py_import"]:
        lines.append(f"- `import oauth2cc` in Python: {r['median_ms']:.1f} ms (median of {r.get('runs', 11)} fresh interpreters, "
                     "interpreter start subtracted; goal: at most 15 ms)")
    if by["error"]:
        lines += ["", "## Peers that could not be measured", ""]
        for r in by["error"]:
            lines.append(f"- {r['lib']}: {r['error']}")
    lines += ["", "## Notes", "",
              "- Peers run with their defaults except where a setting is named above. authlib's default",
              "  leeway (60 s) would refetch on every call with the 2 s test tokens, so it is set to 0.5 s;",
              "  requests-oauthlib has no renewal for client credentials, so the adapter fetches when the",
              "  token is within 0.5 s of expiry. httpx-auth renews 60 s early by default (`early_expiry`),",
              "  so with 2 s tokens every call in the renewal phase finds its token expired.",
              "- msal 1.39 against this OIDC authority answered every `acquire_token_for_client` from the",
              "  server (its result says `token_source: identity_provider`), so its time is a round trip.",
              ""]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
