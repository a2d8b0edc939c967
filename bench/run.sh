#!/bin/sh
# make bench: every benchmark in one run against one local simulator, then
# bench/RESULTS.md. Not part of make test.
set -eu
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

echo "== C benchmark and footprint"
cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude -Itests/c -o "$out/bench_get_token" \
    bench/c/bench_get_token.c tests/c/sim_http.c -Lbuild/release -loauth2cc -Wl,-rpath,"$PWD/build/release" -lpthread
cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude -o "$out/footprint" bench/c/footprint.c \
    -Lbuild/release -loauth2cc -Wl,-rpath,"$PWD/build/release"
IAM_SIM=target/release/iam-sim tests/with-sim.sh -- "$out/bench_get_token" | tee -a "$results"
cache=$(mktemp -d)
IAM_SIM=target/release/iam-sim tests/with-sim.sh -- "$out/footprint" "$cache" | tee -a "$results"
rm -rf "$cache"
strip -o "$out/liboauth2cc.stripped.so" "build/release/liboauth2cc.so.$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
echo "{\"bench\":\"footprint_so\",\"bytes\":$(stat -c %s "$out/liboauth2cc.stripped.so")}" | tee -a "$results"

echo "== Go peer (golang.org/x/oauth2)"
(cd bench/go && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$PWD/../../$out/gocache" go build -o "../../$out/go-peer" peer.go)
IAM_SIM=target/release/iam-sim tests/with-sim.sh -- "$out/go-peer" | tee -a "$results"

echo "== Python, side by side with its peers"
IAM_SIM=target/release/iam-sim tests/with-sim.sh -- .venv-bench/bin/python bench/python/bench.py | tee -a "$results"

echo "== Rust (criterion)"
cargo bench -q -p oauth2cc-core --bench cache -- --noplot 2>&1 | grep -E "time:" || true
for d in target/criterion/*/*/new target/criterion/*/new; do
    [ -f "$d/estimates.json" ] || continue
    name=$(echo "$d" | sed 's|target/criterion/||; s|/new$||')
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(json.dumps({"bench":"criterion","name":sys.argv[2],"median_ns":e["median"]["point_estimate"]}))' \
        "$d/estimates.json" "$name" | tee -a "$results"
done

echo "== Fleet mode (Redis)"
cargo bench -q -p oauth2cc-core --bench fleet 2>/dev/null | grep '^{' | tee -a "$results" || true

python3 bench/report.py "$results" bench/RESULTS.md "make bench"
echo "wrote bench/RESULTS.md"
