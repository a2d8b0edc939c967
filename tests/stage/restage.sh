#!/usr/bin/env bash
# `make stage` must replace the staged liboauth2cc.so by a new file (new inode)
# rather than overwrite the one a running program has mapped, which crashes
# that program. Runs a probe linked to LIB_DIR, re-stages while it runs, and
# checks the probe survives and the staged file is a new inode.
#   tests/stage/restage.sh PROFILE_DIR LIB_DIR BUILD_DIR
set -euo pipefail
profile=$1 lib=$2 build=$3
probe=$build/stage_probe
${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude -o "$probe" tests/stage/probe.c \
    -L"$lib" -loauth2cc -Wl,-rpath,"$(cd "$lib" && pwd)"
so=$(readlink -f "$lib/liboauth2cc.so")
coproc PROBE { exec "$probe"; }
pid=$PROBE_PID
read -r -t 30 ready <&"${PROBE[0]}" || { echo "restage: probe did not start" >&2; exit 1; }
[ "$ready" = ready ]
before=$(stat -c %i "$so")
make --no-print-directory stage PROFILE_DIR="$profile" LIB="$lib"
after=$(stat -c %i "$so")
echo go >&"${PROBE[1]}"
read -r -t 30 alive <&"${PROBE[0]}" || alive=""
status=0
wait "$pid" || status=$?
if [ "$before" = "$after" ]; then
    echo "restage: $so was overwritten in place (inode $before); a running program would crash" >&2
    exit 1
fi
if [ "$status" != 0 ] || [ "$alive" != alive ]; then
    echo "restage: the probe died (status $status) after the library was re-staged" >&2
    exit 1
fi
echo "restage: ok (inode $before -> $after, running program unharmed)"
