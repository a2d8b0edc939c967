#!/usr/bin/env python3
"""Writes the C form of tests/api_response_cases.json (the one case table) for
tests/c and tests/curl: gen_api_cases.py JSON OUT.h. The expected status is
OAUTH_OK for "proceed", OAUTH_RETRY for "retry", else OAUTH_ERR_ + the
outcome's name upper-cased (crates/oauth2cc-core/src/outcome.rs checks that
this holds for every api_* outcome)."""
import json
import sys
import urllib.parse


def c_string(s):
    if s is None:
        return "NULL"
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    # Non-ASCII as octal escapes of its UTF-8 bytes: the C source stays ASCII.
    return '"' + "".join(c if ord(c) < 128 else "".join("\\%03o" % b for b in c.encode()) for c in escaped) + '"'


def main(src, out):
    cases = json.load(open(src, encoding="utf-8"))["cases"]
    lines = [
        "/* Generated from tests/api_response_cases.json by tests/c/gen_api_cases.py; do not edit. */",
        "struct api_case {",
        "    const char *name;",
        "    int status;",
        "    const char *www_joined; /* the fields joined with \"\\n\"; NULL when none */",
        "    const char *respond_path; /* the simulator's /api/respond route for this case */",
        "    const char *outcome;",
        "    int expected;",
        "    const char *error;",
        "    const char *error_description;",
        "    const char *scope;",
        "};",
        "static const struct api_case API_CASES[] = {",
    ]
    # A DPoP client's cases: API_DPOP_CASES, below.
    for c in [c for c in cases if "dpop" not in c]:
        fields = c["www_authenticate"]
        joined = "\n".join(fields) if fields else None
        query = "&".join("www=" + urllib.parse.quote(f, safe="") for f in fields)
        path = "/api/respond/%d?%s" % (c["status"], query)
        outcome = c["outcome"]
        expected = {"proceed": "OAUTH_OK", "retry": "OAUTH_RETRY"}.get(outcome, "OAUTH_ERR_" + outcome.upper())
        lines.append(
            "    {%s, %d, %s, %s, %s, %s, %s, %s, %s},"
            % (
                c_string(c["name"]),
                c["status"],
                c_string(joined),
                c_string(path),
                c_string(outcome),
                expected,
                c_string(c.get("error")),
                c_string(c.get("error_description")),
                c_string(c.get("scope")),
            )
        )
    lines += ["};", "#define API_CASE_COUNT (sizeof API_CASES / sizeof API_CASES[0])", ""]
    # A DPoP client's cases, through oauth_handle_dpop_response: the answer's
    # DPoP-Nonce (NULL when none); OAUTH_RETRY for retry_with_nonce too, with
    # the token kept (keeps_token).
    lines += [
        "struct api_dpop_case {",
        "    const char *name;",
        "    int status;",
        "    const char *www_joined;",
        "    const char *dpop_nonce;",
        "    int expected;",
        "    int keeps_token;",
        "};",
        "static const struct api_dpop_case API_DPOP_CASES[] = {",
    ]
    for c in [c for c in cases if "dpop" in c]:
        fields = c["www_authenticate"]
        outcome = c["outcome"]
        expected = {"proceed": "OAUTH_OK", "retry": "OAUTH_RETRY", "retry_with_nonce": "OAUTH_RETRY"}.get(
            outcome, "OAUTH_ERR_" + outcome.upper()
        )
        lines.append(
            "    {%s, %d, %s, %s, %s, %d},"
            % (
                c_string(c["name"]),
                c["status"],
                c_string("\n".join(fields) if fields else None),
                c_string(c["dpop"].get("nonce")),
                expected,
                0 if outcome == "retry" else 1,
            )
        )
    lines += ["};", "#define API_DPOP_CASE_COUNT (sizeof API_DPOP_CASES / sizeof API_DPOP_CASES[0])", ""]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
