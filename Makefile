# Thin wrapper over meson for the two quick-start commands. Everything real is in meson.
#   make demo           install missing packages, build, run the main job: the mesh rollout
#                       of scenarios/mesh/demo.yaml (outcomes in brownout.db)
#   make flash-demo     the power-cut flash demonstration (brownout flash-demo)
#   make test           install missing packages, build, run the default test suites
#   make test-sanitize  the same suites in build-sanitize/ with address+undefined sanitizers
#   make test-fuzz      the libFuzzer harnesses (tests/fuzz) in build-fuzz/ with clang, each
#                       for a short bounded time; skips with a message when clang is absent
#   make mutation       the mutation score of core/boot (tests/mutation; 10 to 30 minutes)
# MESON_OPTS are passed to `meson setup` (CI passes -Dwerror=true).

BUILD          ?= build
SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD     ?= build-fuzz
MESON_OPTS     ?=
TEST_OPTS      ?= --print-errorlogs

.PHONY: demo flash-demo test test-sanitize test-fuzz mutation deps build clean

deps:
	@./tools/setup-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_OPTS)

$(SANITIZE_BUILD)/build.ninja: | deps
	meson setup $(SANITIZE_BUILD) -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

demo: build
	./$(BUILD)/tools/brownout run scenarios/mesh/demo.yaml

flash-demo: build
	./$(BUILD)/tools/brownout flash-demo

test: build
	meson test -C $(BUILD) $(TEST_OPTS)

test-sanitize: deps $(SANITIZE_BUILD)/build.ninja
	meson compile -C $(SANITIZE_BUILD)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(SANITIZE_BUILD) $(TEST_OPTS)

# Only the harnesses are built (not the whole tree a second time).
test-fuzz: deps
	@if ! command -v clang >/dev/null 2>&1 || [ ! -e "$$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]; then \
		echo "test-fuzz: skipped: clang with libFuzzer not found (apt-get install clang libclang-rt-14-dev)"; \
	else \
		[ -e $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
			-Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS) && \
		meson compile -C $(FUZZ_BUILD) $(addprefix tests/fuzz/fuzz-,image dfu-msgs sweep-file scenario-file fsim-load boot) && \
		meson test -C $(FUZZ_BUILD) --no-rebuild --suite fuzz $(TEST_OPTS); \
	fi

mutation: build
	meson compile -C $(BUILD) mutation

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
