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
for what in "selftest.md:18 sh FAILED" "selftest.md:25 c FAILED" "selftest.md:32 python FAILED" \
    "selftest.md:39 sh FAILED" "tests/readme/selftest-leftover" "selftest.md:46 sh FAILED" \
    "language 'cmake'" "selftest.md:61 sh FAILED"; do
    printf '%s\n' "$out" | grep -qF -- "$what" || {
        printf '%s\n' "$out"
        echo "README runner self-test: output lacks '$what'" >&2
        exit 1
    }
done
echo "README runner self-test: ok (it fails what it should)"
