# Thin front door. The real work is in CMake (build, tests) and the scripts under e2e/.
#   make demo  - the main job: local control plane + sample workload (see README)
#   make test  - install what is needed, build, run unit and integration tests under the
#                sanitizers (ASan + UBSan, then ThreadSanitizer)
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
SANITIZE ?= OFF
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure
JOBS ?= $(shell nproc)

# What the sanitizers are told in every test and in the operator processes tests start.
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

.PHONY: all deps tools build unit integration test test-plain bench fuzz demo cluster-up cluster-down lint format clean help chart-sync

all: build

help:
	@sed -n '1,4p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Targets: deps tools build unit integration test test-plain bench fuzz demo cluster-up cluster-down lint format clean chart-sync"
	@echo "Variables: BUILD_DIR=$(BUILD_DIR) BUILD_TYPE=$(BUILD_TYPE) SANITIZE=OFF|ON|thread JOBS=$(JOBS)"

deps:            ## Debian packages (apt-get, idempotent)
	@scripts/deps.sh

tools:           ## Go-built Kubernetes binaries into ~/.cache/throughput-operator/bin (cached by version)
	@e2e/tools/build.sh >/dev/null

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTSO_SANITIZE=$(SANITIZE) $(CMAKE_FLAGS)

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

unit: build
	cd $(BUILD_DIR) && ctest -L unit -j $(JOBS) $(CTEST_FLAGS)

# Integration tests run against the local control plane (or any cluster in $KUBECONFIG
# when USE_EXISTING_CLUSTER=1, e.g. a kind cluster).
integration: build
	@scripts/integration.sh $(BUILD_DIR) $(CTEST_FLAGS)

ASAN_ONLY := -LE 'long|script' -E 'ScenarioTest[.]'

# The suites run on instrumented builds: every run checks memory, undefined behaviour and data
# races too. The plain build (BUILD_DIR) is what `make demo` and the image use. The ASan leg runs
# every test; the TSan leg leaves out the long and script ones (tests/CMakeLists.txt says why).
test: deps tools
	@$(MAKE) --no-print-directory build unit lint integration BUILD_DIR=$(BUILD_DIR)-asan SANITIZE=ON \
	  CMAKE_FLAGS="-DTSO_BUILD_BENCH=OFF $(CMAKE_FLAGS)"
	@$(MAKE) --no-print-directory build unit integration BUILD_DIR=$(BUILD_DIR)-tsan SANITIZE=thread \
	  CMAKE_FLAGS="-DTSO_BUILD_BENCH=OFF $(CMAKE_FLAGS)" CTEST_FLAGS="$(CTEST_FLAGS) $(ASAN_ONLY)"

# The suites on the plain build only (quicker while iterating).
test-plain: deps tools
	@$(MAKE) --no-print-directory build unit lint integration

bench: build
	@scripts/bench.sh $(BUILD_DIR)

# libFuzzer targets (JSON decoders + watch framing, kubeconfig), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	cmake -S tests/fuzz -B build-fuzz -G Ninja -DTSO_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	build-fuzz/watch_stream_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 $$(mktemp -d) tests/fuzz/corpus/watch
	build-fuzz/kubeconfig_fuzz -max_total_time=$(FUZZ_SECONDS) $$(mktemp -d) tests/fuzz/corpus/kubeconfig

demo: deps tools build
	@e2e/demo/run.sh $(BUILD_DIR)

cluster-up:
	@e2e/cluster/up.sh

cluster-down:
	@e2e/cluster/down.sh

chart-sync:      ## copy crds/ into the Helm chart (a unit test fails while they differ)
	@charts/sync-crds.sh

lint: $(BUILD_DIR)/build.ninja
	@scripts/lint.sh $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs $$(command -v clang-format-19 || echo clang-format) -i

clean:
	rm -rf $(BUILD_DIR)
