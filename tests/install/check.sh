#!/bin/sh
# Builds and runs programs against a staged install of oauth2cc.
#   tests/install/check.sh STAGE PREFIX LIBDIR WORKDIR
set -eu
stage=$1 prefix=$2 libdir=$3 work=$4
mkdir -p "$work"
root=$(cd "$(dirname "$0")/../.." && pwd)
lib="$stage$libdir"
export PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_LIBDIR="$lib/pkgconfig"

echo "soname:"
# Its major version is defined once, in Cargo.toml.
major=$(sed -n 's/^soname-major = \([0-9][0-9]*\)$/\1/p' "$root/Cargo.toml")
test -n "$major" || { echo "Cargo.toml has no soname-major" >&2; exit 1; }
objdump -p "$lib/liboauth2cc.so" | grep -q "SONAME *liboauth2cc.so.$major\$" || { echo "no soname liboauth2cc.so.$major" >&2; exit 1; }
test "$(readlink "$lib/liboauth2cc.so")" = "liboauth2cc.so.$major"
test "$(readlink "$lib/liboauth2cc.so.$major")" = "liboauth2cc.so.$(pkg-config --modversion oauth2cc)"

echo "the oauth2cc command and its man page:"
bin="$stage$prefix/bin/oauth2cc"
test -x "$bin" || { echo "no $prefix/bin/oauth2cc" >&2; exit 1; }
version=$("$bin" --version)
test "$version" = "oauth2cc $(pkg-config --modversion oauth2cc)" || { echo "oauth2cc --version says: $version" >&2; exit 1; }
"$bin" --help | grep -q -- '--token-url' || { echo "oauth2cc --help lists no options" >&2; exit 1; }
man1="$stage$prefix/share/man/man1/oauth2cc.1"
test -f "$man1" || { echo "no $prefix/share/man/man1/oauth2cc.1" >&2; exit 1; }
if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$man1" 2>/dev/null | grep -q 'EXIT STATUS' || { echo "man -l $man1 renders no EXIT STATUS" >&2; exit 1; }
fi

echo "pkg-config, shared, a C89 program:"
# shellcheck disable=SC2046
cc -std=c89 -Wall -Wextra -Wpedantic -Werror -o "$work/quickstart_shared" "$root/examples/quickstart.c" \
    $(pkg-config --cflags --libs oauth2cc)
LD_LIBRARY_PATH="$lib" ldd "$work/quickstart_shared" | grep -q "liboauth2cc.so.$major =>"
LD_LIBRARY_PATH="$lib" "$root/tests/with-sim.sh" -- "$work/quickstart_shared"

echo "pkg-config --static:"
# -l:liboauth2cc.a picks the archive where -loauth2cc would pick the .so;
# Libs.private must bring everything else it needs.
# shellcheck disable=SC2046
cc -std=c89 -Wall -Wextra -Wpedantic -Werror -o "$work/quickstart_static" "$root/examples/quickstart.c" \
    $(pkg-config --static --cflags --libs oauth2cc | sed 's/-loauth2cc/-l:liboauth2cc.a/')
if ldd "$work/quickstart_static" | grep -q oauth2cc; then echo "static build links liboauth2cc.so" >&2; exit 1; fi
"$root/tests/with-sim.sh" -- "$work/quickstart_static"

echo "CMake find_package:"
cmake -S "$root/tests/install/cmake" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$stage$prefix" \
    -DEXAMPLES="$root/examples" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
LD_LIBRARY_PATH="$lib" "$root/tests/with-sim.sh" -- "$work/cmake/cpp_example"
"$root/tests/with-sim.sh" -- "$work/cmake/curl_example" >/dev/null
echo "all install checks passed"
