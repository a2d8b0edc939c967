#!/bin/sh
# Runs a command with the IAM simulator listening on 127.0.0.1 (OS-chosen port).
#   tests/with-sim.sh [SIM_ARGS...] -- COMMAND [ARGS...]
# The command gets OAUTH2CC_SIM_URL=http://127.0.0.1:PORT and
# OAUTH2CC_TOKEN_URL (realm "test"), and for a second simulator serving HTTPS
# OAUTH2CC_SIM_TLS_URL and OAUTH2CC_SIM_CA_FILE, with a test-only client
# certificate and key for mutual TLS in OAUTH2CC_SIM_CLIENT_CERT and
# OAUTH2CC_SIM_CLIENT_KEY (tokens requested with it are bound to it). The simulators are always stopped.
# The simulator: $IAM_SIM if set, else the newer of target/release/iam-sim
# (make build) and target/debug/iam-sim (make build-debug, cargo build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${IAM_SIM:-}" ]; then
    SIM=$IAM_SIM
    [ -x "$SIM" ] || { echo "$0: IAM_SIM=$SIM is not an executable" >&2; exit 2; }
else
    SIM=""
    for s in "$root/target/release/iam-sim" "$root/target/debug/iam-sim"; do
        if [ -x "$s" ] && { [ -z "$SIM" ] || [ "$s" -nt "$SIM" ]; }; then SIM=$s; fi
    done
    [ -n "$SIM" ] || {
        echo "$0: no IAM simulator built: run 'make build' (or 'cargo build -p iam-sim'), or set IAM_SIM" >&2
        exit 2
    }
fi
sim_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    sim_args="$sim_args $1"
    shift
done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [SIM_ARGS...] -- COMMAND..." >&2; exit 2; }

dir=$(mktemp -d)

# wait_for FILE PID NAME: until the simulator has written its port file.
wait_for() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
            echo "$3 did not start:" >&2
            cat "$dir/$3.out" >&2
            exit 1
        fi
        sleep 0.05
    done
}
cleanup() {
    for p in ${pid:-} ${tls_pid:-}; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pid=""
    tls_pid=""
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# Clients every suite uses (see tests/README.md).
# shellcheck disable=SC2086
"$SIM" --port-file "$dir/port" \
    --client id=svc,secret=s3cret-value,scopes=orders:read+orders:write \
    --client id=short,secret=short-secret,lifetime=2 \
    --client id=demo,secret=demo-secret,lifetime=6 \
    --client id=post-only,secret=post-secret,methods=post,scopes=orders:read \
    --client id=big,secret=big-secret,token_size=1024 \
    --client "id=key-svc,secret=,methods=key_jwt,jwks=$root/tests/fixtures/keys/public.jwks.json,jwk_names=rsa2048+p256+p384+ed25519" \
    --client id=jwt-svc,secret=jwt-secret-value-0123456789abcdef,methods=secret_jwt \
    $sim_args >"$dir/iam-sim.out" 2>&1 &
pid=$!
wait_for "$dir/port" "$pid" iam-sim
port=$(cat "$dir/port")

# A second simulator over HTTPS, with its CA in a file, for the TLS tests.
"$SIM" --port-file "$dir/tls-port" --tls localhost,127.0.0.1 --ca-out "$dir/ca.pem" --client-cert-out "$dir/client" \
    --client id=svc,secret=s3cret-value --client id=short,secret=short-secret,lifetime=2 \
    --client id=big,secret=big-secret,token_size=1024 >"$dir/iam-sim-tls.out" 2>&1 &
tls_pid=$!
wait_for "$dir/tls-port" "$tls_pid" iam-sim-tls
OAUTH2CC_SIM_TLS_URL="https://127.0.0.1:$(cat "$dir/tls-port")"
OAUTH2CC_SIM_CA_FILE="$dir/ca.pem"
OAUTH2CC_SIM_CLIENT_CERT="$dir/client.pem"
OAUTH2CC_SIM_CLIENT_KEY="$dir/client.key"
export OAUTH2CC_SIM_TLS_URL OAUTH2CC_SIM_CA_FILE OAUTH2CC_SIM_CLIENT_CERT OAUTH2CC_SIM_CLIENT_KEY
OAUTH2CC_SIM_URL="http://127.0.0.1:$port"
OAUTH2CC_TOKEN_URL="$OAUTH2CC_SIM_URL/realms/test/protocol/openid-connect/token"
export OAUTH2CC_SIM_URL OAUTH2CC_TOKEN_URL
set +e
"$@"
rc=$?
cleanup
exit $rc
