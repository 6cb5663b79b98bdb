# Makefile - wraps CMake: make, make demo, make check, make fuzz, make install
# SPDX-License-Identifier: MIT

BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX      ?= /usr/local
FUZZ_SECONDS ?= 60
FUZZ_RUNS   ?= 2000
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' '*.h.in' 2>/dev/null || find include lib src tests fuzz tools -name '*.[ch]')

.PHONY: all build deps demo check test test-asan format format-check fuzz fuzz-build fuzz-check \
	install clean

all: build

deps:
	@./scripts/install-deps

build:
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job on a shipped sample: diagnose a Microsoft 365 bounce. Offline, the live checks
# are marked unchecked and mxdiag exits 69 (DNS unreachable): the demo accepts that.
demo: deps build
	@echo '== mxdiag diagnose examples/ms365-5.7.708.eml =='
	@./$(BUILD)/mxdiag diagnose --timeout 1500 --tries 1 examples/ms365-5.7.708.eml || [ $$? = 69 ]
	@echo
	@echo '== mxdiag explain --json (a Gmail authentication reply) =='
	@./$(BUILD)/mxdiag explain --json - < examples/gmail-5.7.26.txt

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Everything a submission must pass: warnings as errors with gcc, the suite; then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer, the suite again; formatting; every fuzz target
# on its checked-in corpus, its crash regressions and a fixed-seed, fixed-count exploration
# (deterministic: open-ended fuzzing is `make fuzz`, never part of check).
check: deps format-check
	@echo '== gcc -Wall -Wextra -Werror: build and test =='
	@CC=gcc cmake -S . -B $(BUILD) -DMXD_WERROR=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo '== clang -Werror with ASan + UBSan: build and test =='
	@CC=clang cmake -S . -B $(BUILD_ASAN) -DMXD_WERROR=ON -DMXD_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-check
	@echo '== make check: all passed =='

format:
	@$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	@echo '== clang-format check =='
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

# Every fuzz/fuzz_*.c target, built with libFuzzer (clang, ASan + UBSan).
fuzz-build:
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DMXD_FUZZ=ON -DMXD_TESTS=OFF -DMXD_WERROR=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

# Part of make check: replay fuzz/corpus/<target>/ and fuzz/regressions/<target>/, then
# FUZZ_RUNS inputs from seed 1: the same inputs every time.
fuzz-check: fuzz-build
	@echo '== libFuzzer: corpus and regressions replayed, $(FUZZ_RUNS) fixed-seed runs per target =='
	@sh fuzz/run.sh $(BUILD_FUZZ) check $(FUZZ_RUNS)

# Open-ended fuzzing from random seeds, FUZZ_SECONDS per target (not part of make check);
# crash inputs land in fuzz/found/<target>/.
fuzz: fuzz-build
	@echo '== libFuzzer: $(FUZZ_SECONDS) s per target =='
	@sh fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
