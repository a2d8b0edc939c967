# oauth2cc: build, header, test, demo.
#   make demo     start the IAM simulator, get tokens from C, show the cache and a renewal
#   make test     every test: Rust, C (shared, static, ASan+UBSan), header freshness, lints, the README's examples
#   make header   regenerate include/oauth2cc.h from the Rust sources
#   make lint     rustfmt, clippy, ruff, mypy --strict, clang-format (check only); make format applies rustfmt and clang-format

CARGO   ?= cargo
CC      ?= cc
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The soname's major version: [package.metadata.oauth2cc] soname-major in Cargo.toml.
SOMAJOR := $(shell sed -n 's/^soname-major = \([0-9][0-9]*\)$$/\1/p' Cargo.toml)
BUILD   := build
CFLAGS_STRICT := -Wall -Wextra -Wpedantic -Werror
# What a program linking liboauth2cc.a also needs (cargo rustc -- --print native-static-libs).
STATIC_LIBS := -lpthread -lm -ldl -lrt -lutil -lgcc_s -lc
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g

.PHONY: all build build-debug header check-header test test-rust test-c test-header test-python python lint demo fuzz clean
.PHONY: test-readme
.PHONY: install uninstall test-cpp test-curl test-install curl-dev cmake-tool bench go-tools format clang-format-tool
.PHONY: redis-tool

# Installation directories (GNU conventions); DESTDIR stages the install.
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(DATADIR)/man
DESTDIR    ?=
MAJOR := $(word 1,$(subst ., ,$(VERSION)))
MINOR := $(word 2,$(subst ., ,$(VERSION)))

all: build

# Release libraries staged as an installed system would have them.
build:
	$(CARGO) build --release -p oauth2cc -p oauth2cc-cli -p iam-sim
	@$(MAKE) --no-print-directory stage PROFILE_DIR=target/release LIB=$(BUILD)/release

build-debug:
	$(CARGO) build --workspace
	@$(MAKE) --no-print-directory stage PROFILE_DIR=target/debug LIB=$(BUILD)/debug

.PHONY: stage
stage:
	@mkdir -p $(LIB)
	@# A new file renamed over the old one: running programs keep their mapping
	@# of the old file (overwriting it in place crashes them).
	@cp -f $(PROFILE_DIR)/liboauth2cc.so $(LIB)/.liboauth2cc.so.$(VERSION).tmp
	@mv -f $(LIB)/.liboauth2cc.so.$(VERSION).tmp $(LIB)/liboauth2cc.so.$(VERSION)
	@ln -sf liboauth2cc.so.$(VERSION) $(LIB)/liboauth2cc.so.$(SOMAJOR)
	@ln -sf liboauth2cc.so.$(SOMAJOR) $(LIB)/liboauth2cc.so
	@cp -f $(PROFILE_DIR)/liboauth2cc.a $(LIB)/.liboauth2cc.a.tmp
	@mv -f $(LIB)/.liboauth2cc.a.tmp $(LIB)/liboauth2cc.a

header:
	OAUTH2CC_HEADER_OUT=$(CURDIR)/include/oauth2cc.h $(CARGO) build -p oauth2cc

# Fails when include/oauth2cc.h is not what the sources generate.
check-header:
	@mkdir -p $(BUILD)
	OAUTH2CC_HEADER_OUT=$(CURDIR)/$(BUILD)/oauth2cc.h.check $(CARGO) build -q -p oauth2cc
	@diff -u include/oauth2cc.h $(BUILD)/oauth2cc.h.check || \
		{ echo "include/oauth2cc.h is stale: run 'make header' and commit it" >&2; exit 1; }

test: lint check-header test-header test-rust test-c test-cpp test-curl test-python test-install test-readme
	@echo "make test: all suites passed"

# The fleet tests (crates/oauth2cc-core/tests/fleet.rs) start their own
# redis-server on a free port in a temporary directory.
test-rust: redis-tool openssl-tool
	$(CARGO) test --workspace

# redis-server, installed from Debian's packages when missing (REDIS_SERVER may name another, e.g. valkey-server).
redis-tool:
	@test -n "$(REDIS_SERVER)" || command -v redis-server >/dev/null || command -v valkey-server >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

# The openssl command, which the interop suite uses to convert test keys to PKCS#1 and SEC1.
.PHONY: openssl-tool redis-tool
openssl-tool:
	@command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; }

# The header alone, in every language mode it promises, included twice.
test-header:
	@mkdir -p $(BUILD)/header
	@printf '#include "oauth2cc.h"\n#include "oauth2cc.h"\nint main(void) { oauth_options o = OAUTH_OPTIONS_INIT; (void)o; return oauth_strerror(OAUTH_OK) == 0; }\n' > $(BUILD)/header/h.c
	@cp $(BUILD)/header/h.c $(BUILD)/header/h.cpp
	@for std in c89 c99 c11; do \
		$(CC) -std=$$std $(CFLAGS_STRICT) -Iinclude -c $(BUILD)/header/h.c -o $(BUILD)/header/h.o || exit 1; \
		echo "header ok as $$std"; done
	@for std in c++98 c++17; do \
		c++ -std=$$std $(CFLAGS_STRICT) -Iinclude -c $(BUILD)/header/h.cpp -o $(BUILD)/header/h.o || exit 1; \
		echo "header ok as $$std"; done

C_TEST_SRC := tests/c/test_oauth.c tests/c/sim_http.c
C_TEST_FLAGS := -std=c11 $(CFLAGS_STRICT) -Iinclude -Itests/c -I$(BUILD)/gen

# The one case table of API answers, in C form for tests/c and tests/curl.
$(BUILD)/gen/api_response_cases.h: tests/api_response_cases.json tests/c/gen_api_cases.py
	@mkdir -p $(BUILD)/gen
	python3 tests/c/gen_api_cases.py $< $@

# The C tests, linked shared, static, and shared under ASan+UBSan.
test-c: build-debug $(BUILD)/gen/api_response_cases.h
	$(CC) $(C_TEST_FLAGS) -o $(BUILD)/test_oauth_shared $(C_TEST_SRC) \
		-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug -lpthread
	$(CC) $(C_TEST_FLAGS) -o $(BUILD)/test_oauth_static $(C_TEST_SRC) \
		$(BUILD)/debug/liboauth2cc.a $(STATIC_LIBS)
	$(CC) $(C_TEST_FLAGS) $(SAN_FLAGS) -o $(BUILD)/test_oauth_asan $(C_TEST_SRC) \
		-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug -lpthread
	@objdump -p $(BUILD)/debug/liboauth2cc.so | grep -q 'SONAME *liboauth2cc.so.$(SOMAJOR)$$' || \
		{ echo "liboauth2cc.so has no soname liboauth2cc.so.$(SOMAJOR)" >&2; exit 1; }
	tests/with-sim.sh -- $(BUILD)/test_oauth_shared
	tests/with-sim.sh -- $(BUILD)/test_oauth_static
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/with-sim.sh -- $(BUILD)/test_oauth_asan
	# The README's quick start, as C89 with the strict flags.
	$(CC) -std=c89 $(CFLAGS_STRICT) -Iinclude -o $(BUILD)/quickstart examples/quickstart.c \
		-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug
	tests/with-sim.sh -- $(BUILD)/quickstart
	# Re-staging the library under a running program must not crash it.
	tests/stage/restage.sh target/debug $(BUILD)/debug $(BUILD)

# The Python package: a project-local virtual environment, the package built
# and installed exactly as the README says (pip install ./bindings/python, a
# PEP 517 build: pip fetches maturin itself). That is all `make demo` needs;
# `make test-python` adds the pinned test tools (requirements-dev.txt), then
# runs pytest against the simulator and stubtest of the .pyi stubs.
VENV := .venv
PY   := $(VENV)/bin/python
$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	touch $@

$(VENV)/.dev-ready: $(VENV)/.ready bindings/python/requirements-dev.txt
	$(PY) -m pip install -q -r bindings/python/requirements-dev.txt
	touch $@

python: $(VENV)/.ready
	@echo "building and installing the Python extension into $(VENV) (about two minutes the first time)"
	$(PY) -m pip install -q ./bindings/python

test-python: $(VENV)/.dev-ready python build-debug
	IAM_SIM=$(CURDIR)/target/debug/iam-sim $(PY) -m pytest -q bindings/python/tests
	$(PY) -m mypy.stubtest oauth2cc --allowlist bindings/python/stubtest-allowlist.txt

# The README's code blocks marked <!-- readme-test -->, each against its own
# simulator (tests/readme/run_readme.py says how); first, that the runner fails
# what it should. The blocks use the release build (the quick start's
# `make build`), the staged debug library and the Python package with requests
# and httpx.
test-readme: build build-debug python $(VENV)/.dev-ready
	tests/readme/selftest.sh
	python3 tests/readme/run_readme.py README.md

# The C++ wrapper: C++11 and C++17, strict warnings, sanitizers; and without exceptions.
CXX ?= c++
CPP_FLAGS := -Wall -Wextra -Wpedantic -Werror -Iinclude -Ibindings/cpp
test-cpp: build-debug
	@for std in c++11 c++17; do \
		$(CXX) -std=$$std $(CPP_FLAGS) $(SAN_FLAGS) -pthread -o $(BUILD)/test_cpp_$$std tests/cpp/test_cpp.cpp \
			-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug || exit 1; \
		ASAN_OPTIONS=detect_leaks=1 tests/with-sim.sh -- $(BUILD)/test_cpp_$$std || exit 1; done
	$(CXX) -std=c++11 $(CPP_FLAGS) -fno-exceptions -o $(BUILD)/no_exceptions tests/cpp/no_exceptions.cpp \
		-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug
	$(BUILD)/no_exceptions

# libcurl's headers, installed from Debian's packages when missing.
curl-dev:
	@test -f /usr/include/x86_64-linux-gnu/curl/curl.h || test -f /usr/include/curl/curl.h || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev; }

cmake-tool:
	@command -v cmake >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake; }

# The libcurl helper against the simulator's protected API, under sanitizers.
test-curl: build-debug curl-dev $(BUILD)/gen/api_response_cases.h
	$(CC) -std=c99 $(CFLAGS_STRICT) $(SAN_FLAGS) -Iinclude -Ibindings/c -Itests/c -I$(BUILD)/gen -o $(BUILD)/test_curl \
		tests/curl/test_curl.c bindings/c/oauth2cc_curl.c tests/c/sim_http.c \
		-L$(BUILD)/debug -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/debug -lcurl
	ASAN_OPTIONS=detect_leaks=1 tests/with-sim.sh -- $(BUILD)/test_curl

install: build
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/oauth2cc $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(DATADIR)/oauth2cc $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 target/release/oauth2cc $(DESTDIR)$(BINDIR)/oauth2cc
	install -m 644 packaging/oauth2cc.1 $(DESTDIR)$(MANDIR)/man1/oauth2cc.1
	install -m 644 $(BUILD)/release/liboauth2cc.a $(DESTDIR)$(LIBDIR)/liboauth2cc.a
	install -m 755 $(BUILD)/release/liboauth2cc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboauth2cc.so.$(VERSION)
	ln -sf liboauth2cc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liboauth2cc.so.$(SOMAJOR)
	ln -sf liboauth2cc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/liboauth2cc.so
	install -m 644 include/oauth2cc.h bindings/cpp/oauth2cc.hpp bindings/c/oauth2cc_curl.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 bindings/c/oauth2cc_curl.c $(DESTDIR)$(DATADIR)/oauth2cc/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		packaging/oauth2cc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/oauth2cc.pc
	sed -e 's|@CMAKE_TO_PREFIX@|$(shell realpath -m --relative-to=$(LIBDIR)/cmake/oauth2cc $(PREFIX))|' \
		-e 's|@LIBDIR_REL@|$(shell realpath -m --relative-to=$(PREFIX) $(LIBDIR))|' \
		-e 's|@INCLUDEDIR_REL@|$(shell realpath -m --relative-to=$(PREFIX) $(INCLUDEDIR))|' \
		-e 's|@DATADIR_REL@|$(shell realpath -m --relative-to=$(PREFIX) $(DATADIR))|' \
		-e 's|@VERSION@|$(VERSION)|; s|@SOMAJOR@|$(SOMAJOR)|g' \
		packaging/oauth2ccConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/oauth2cc/oauth2ccConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|; s|@MAJOR@|$(MAJOR)|g; s|@MINOR@|$(MINOR)|g' \
		packaging/oauth2ccConfigVersion.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/oauth2cc/oauth2ccConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/liboauth2cc.a $(DESTDIR)$(LIBDIR)/liboauth2cc.so \
		$(DESTDIR)$(LIBDIR)/liboauth2cc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/liboauth2cc.so.$(VERSION) \
		$(DESTDIR)$(INCLUDEDIR)/oauth2cc.h $(DESTDIR)$(INCLUDEDIR)/oauth2cc.hpp $(DESTDIR)$(INCLUDEDIR)/oauth2cc_curl.h \
		$(DESTDIR)$(DATADIR)/oauth2cc/oauth2cc_curl.c $(DESTDIR)$(LIBDIR)/pkgconfig/oauth2cc.pc \
		$(DESTDIR)$(LIBDIR)/cmake/oauth2cc/oauth2ccConfig.cmake $(DESTDIR)$(LIBDIR)/cmake/oauth2cc/oauth2ccConfigVersion.cmake \
		$(DESTDIR)$(BINDIR)/oauth2cc $(DESTDIR)$(MANDIR)/man1/oauth2cc.1
	-rmdir $(DESTDIR)$(LIBDIR)/cmake/oauth2cc $(DESTDIR)$(DATADIR)/oauth2cc 2>/dev/null

# Programs built against a staged install: pkg-config (shared and static),
# CMake find_package, the soname, a C89 program, the oauth2cc command and its
# man page; then uninstall leaves nothing.
STAGE := $(CURDIR)/$(BUILD)/stage
# A multiarch libdir, as Debian lays it out (and where CMake looks for packages).
STAGE_LIBDIR := /opt/oauth2cc/lib/$(shell $(CC) -dumpmachine)
test-install: curl-dev cmake-tool
	rm -rf $(STAGE) $(BUILD)/install-test
	$(MAKE) --no-print-directory install DESTDIR=$(STAGE) PREFIX=/opt/oauth2cc LIBDIR=$(STAGE_LIBDIR)
	tests/install/check.sh $(STAGE) /opt/oauth2cc $(STAGE_LIBDIR) $(BUILD)/install-test
	$(MAKE) --no-print-directory uninstall DESTDIR=$(STAGE) PREFIX=/opt/oauth2cc LIBDIR=$(STAGE_LIBDIR)
	@left=$$(find $(STAGE) -type f -o -type l); test -z "$$left" || { echo "uninstall left: $$left" >&2; exit 1; }
	@echo "install test: ok"

# Rust (rustfmt, clippy), Python (ruff, mypy --strict; ruff.toml, mypy.ini;
# the tools pinned in requirements-dev.txt, in .venv) and C/C++ (clang-format,
# .clang-format). `make format` applies rustfmt and clang-format.
PY_LINT_SRC := bindings/python/python bindings/python/tests $(wildcard examples/*.py) bench/python
C_FORMAT_SRC := $(wildcard tests/c/*.c tests/c/*.h tests/cpp/*.cpp tests/curl/*.c tests/stage/*.c \
	bindings/c/*.c bindings/c/*.h bindings/cpp/*.hpp examples/*.c examples/*.cpp bench/c/*.c)
lint: $(VENV)/.dev-ready clang-format-tool
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(PY) -m ruff check $(PY_LINT_SRC)
	$(PY) -m mypy --strict $(PY_LINT_SRC)
	clang-format --dry-run --Werror $(C_FORMAT_SRC)

format: clang-format-tool
	$(CARGO) fmt --all
	clang-format -i $(C_FORMAT_SRC)

# clang-format, installed from Debian's packages when missing.
clang-format-tool:
	@command -v clang-format >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-format; }

demo: build python
	$(CC) -std=c99 $(CFLAGS_STRICT) -O2 -Iinclude -Itests/c -o $(BUILD)/demo examples/demo.c tests/c/sim_http.c \
		-L$(BUILD)/release -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/release
	IAM_SIM=target/release/iam-sim tests/with-sim.sh -- $(BUILD)/demo
	@echo
	IAM_SIM=target/release/iam-sim tests/with-sim.sh -- $(PY) examples/demo.py
	@echo
	IAM_SIM=target/release/iam-sim tests/with-sim.sh -- examples/demo_cli.sh

# Coverage-guided fuzzing of the two parsers (not part of `make test`).
# cargo-fuzz is installed into .tools/; RUSTC_BOOTSTRAP lets it use the
# sanitizer flags on the stable toolchain, the only one these machines have.
FUZZ_SECS ?= 60
CARGO_FUZZ := $(CURDIR)/.tools/bin/cargo-fuzz
fuzz:
	@test -x $(CARGO_FUZZ) || $(CARGO) install cargo-fuzz --version 0.13.2 --locked --root $(CURDIR)/.tools
	@for t in token_response www_authenticate; do \
		echo "fuzzing $$t for $(FUZZ_SECS) s"; \
		RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run $$t -- -max_total_time=$(FUZZ_SECS) || exit 1; done

# Benchmarks, side by side with the libraries users would otherwise pick
# (bench/RESULTS.md). Not part of `make test`: minutes long, and timing.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.ready: bench/python/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -r bench/python/requirements.txt
	touch $@

go-tools:
	@command -v go >/dev/null && test -d /usr/share/gocode/src/golang.org/x/oauth2 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-golang-x-oauth2-dev; }

bench: build go-tools $(BENCH_VENV)/.ready
	$(BENCH_VENV)/bin/python -m pip install -q ./bindings/python
	bench/run.sh

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
