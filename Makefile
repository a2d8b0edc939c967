# oauth2cc: build, header, test, demo.
#   make demo     start the IAM simulator, get tokens from C, show the cache and a renewal
#   make test     every test: Rust, C (shared, static, ASan+UBSan), header freshness, lints
#   make header   regenerate include/oauth2cc.h from the Rust sources

CARGO   ?= cargo
CC      ?= cc
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOMAJOR := 0
BUILD   := build
CFLAGS_STRICT := -Wall -Wextra -Wpedantic -Werror
# What a program linking liboauth2cc.a also needs (cargo rustc -- --print native-static-libs).
STATIC_LIBS := -lpthread -lm -ldl -lrt -lutil -lgcc_s -lc
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g

.PHONY: all build build-debug header check-header test test-rust test-c test-header test-python python lint demo fuzz clean

all: build

# Release libraries staged as an installed system would have them.
build:
	$(CARGO) build --release --workspace
	@$(MAKE) --no-print-directory stage PROFILE_DIR=target/release LIB=$(BUILD)/release

build-debug:
	$(CARGO) build --workspace
	@$(MAKE) --no-print-directory stage PROFILE_DIR=target/debug LIB=$(BUILD)/debug

.PHONY: stage
stage:
	@mkdir -p $(LIB)
	@cp -f $(PROFILE_DIR)/liboauth2cc.so $(LIB)/liboauth2cc.so.$(VERSION)
	@ln -sf liboauth2cc.so.$(VERSION) $(LIB)/liboauth2cc.so.$(SOMAJOR)
	@ln -sf liboauth2cc.so.$(SOMAJOR) $(LIB)/liboauth2cc.so
	@cp -f $(PROFILE_DIR)/liboauth2cc.a $(LIB)/liboauth2cc.a

header:
	OAUTH2CC_HEADER_OUT=$(CURDIR)/include/oauth2cc.h $(CARGO) build -p oauth2cc

# Fails when include/oauth2cc.h is not what the sources generate.
check-header:
	@mkdir -p $(BUILD)
	OAUTH2CC_HEADER_OUT=$(CURDIR)/$(BUILD)/oauth2cc.h.check $(CARGO) build -q -p oauth2cc
	@diff -u include/oauth2cc.h $(BUILD)/oauth2cc.h.check || \
		{ echo "include/oauth2cc.h is stale: run 'make header' and commit it" >&2; exit 1; }

test: lint check-header test-header test-rust test-c test-python
	@echo "make test: all suites passed"

test-rust:
	$(CARGO) test --workspace

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
C_TEST_FLAGS := -std=c11 $(CFLAGS_STRICT) -Iinclude -Itests/c

# The C tests, linked shared, static, and shared under ASan+UBSan.
test-c: build-debug
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

# The Python package: a project-local virtual environment with the pinned
# test tools, the package built and installed exactly as the README says
# (pip install ./bindings/python, a PEP 517 build with maturin), then pytest
# against the simulator and stubtest of the .pyi stubs against the module.
VENV := .venv
PY   := $(VENV)/bin/python
$(VENV)/.ready: bindings/python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r bindings/python/requirements-dev.txt
	touch $@

python: $(VENV)/.ready
	$(PY) -m pip install -q ./bindings/python

test-python: python build-debug
	IAM_SIM=$(CURDIR)/target/debug/iam-sim $(PY) -m pytest -q bindings/python/tests
	$(PY) -m mypy.stubtest oauth2cc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

demo: build python
	$(CC) -std=c99 $(CFLAGS_STRICT) -O2 -Iinclude -Itests/c -o $(BUILD)/demo examples/demo.c tests/c/sim_http.c \
		-L$(BUILD)/release -loauth2cc -Wl,-rpath,$(CURDIR)/$(BUILD)/release
	IAM_SIM=target/release/iam-sim tests/with-sim.sh -- $(BUILD)/demo
	@echo
	IAM_SIM=target/release/iam-sim tests/with-sim.sh -- $(PY) examples/demo.py

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

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
