#!/bin/sh
# The README runner must be able to fail: on selftest.md, one block passes,
# every other one (and the marker on a language it cannot run) fails.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(python3 "$root/tests/readme/run_readme.py" "$@" "$root/tests/readme/selftest.md" 2>&1)
rc=$?
rm -f "$root/tests/readme/selftest-leftover"
want="1 passed, 7 failed"
if [ $rc -ne 1 ] || [ "$(printf '%s\n' "$out" | tail -n 1)" != "$want" ]; then
    printf '%s\n' "$out"
    echo "README runner self-test: expected exit status 1 and '$want', got $rc" >&2
    exit 1
fi
for what in "selftest.md:19 sh FAILED" "selftest.md:26 c FAILED" "selftest.md:33 python FAILED" \
    "selftest.md:40 sh FAILED" "tests/readme/selftest-leftover" "selftest.md:47 sh FAILED" \
    "language 'cmake'" "selftest.md:62 sh FAILED"; do
    printf '%s\n' "$out" | grep -qF -- "$what" || {
        printf '%s\n' "$out"
        echo "README runner self-test: output lacks '$what'" >&2
        exit 1
    }
done
echo "README runner self-test: ok (it fails what it should)"
