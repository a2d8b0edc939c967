#!/bin/sh
# make demo, the command-line part: processes share one token through the file cache.
set -eu
B=${OAUTH2CC_BIN:-target/release/oauth2cc}
OAUTH2CC_CLIENT_ID=svc
OAUTH2CC_CLIENT_SECRET=s3cret-value
OAUTH2CC_CACHE_DIR=$(mktemp -d)
export OAUTH2CC_CLIENT_ID OAUTH2CC_CLIENT_SECRET OAUTH2CC_CACHE_DIR
trap 'rm -rf "$OAUTH2CC_CACHE_DIR"' EXIT
requests() {
    "$B" request GET "$OAUTH2CC_SIM_URL/sim/stats" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests_by_client"].get("svc", 0))'
}
echo "command line: 10 'oauth2cc token' processes at once, then 50 one after another"
i=0
while [ $i -lt 10 ]; do "$B" token >/dev/null & i=$((i + 1)); done
wait
i=0
while [ $i -lt 50 ]; do "$B" header >/dev/null; i=$((i + 1)); done
echo "1. token requests seen by the IAM: $(requests)"
echo "2. oauth2cc inspect:"
"$B" inspect | sed -n '1,6p' | sed 's/^/     /'
echo "3. oauth2cc request GET \$OAUTH2CC_SIM_URL/api/echo:"
printf '     '
"$B" request GET "$OAUTH2CC_SIM_URL/api/echo"
echo
