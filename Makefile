# Thin wrapper: `make`, `make check`, `make run`.  The build is meson's.
BUILD ?= build

.PHONY: all check check-unit check-functional check-sanitizers fuzz-smoke run bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	./configure --builddir=$(BUILD)

# Every test suite; ends with the line "N passed, N failed, N skipped".
check: all
	python3 scripts/run-tests.py $(BUILD)

check-unit: all
	python3 scripts/run-tests.py $(BUILD) --suite unit

check-functional: all
	python3 scripts/run-tests.py $(BUILD) --suite functional

# The unit and qtest suites again, built with ASan + UBSan in $(SAN_BUILD)
# (any sanitizer report fails the test); CI runs it after `make check`.
SAN_BUILD ?= build-san
check-sanitizers:
	test -f $(SAN_BUILD)/build.ninja || ./configure --builddir=$(SAN_BUILD) --enable-sanitizers
	ninja -C $(SAN_BUILD)
	python3 scripts/run-tests.py $(SAN_BUILD) --suite unit --suite qtest

# Every libFuzzer target for 60 s, eleven targets in about 13 minutes
# with the coverage pass (clang build with ASan+UBSan in
# $(FUZZ_BUILD)); docs/devel/fuzzing.rst.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz-smoke:
	test -f $(FUZZ_BUILD)/build.ninja || ./configure --builddir=$(FUZZ_BUILD) --enable-fuzzing --enable-sanitizers
	ninja -C $(FUZZ_BUILD)
	nice -n 10 python3 tests/fuzz/run-fuzz.py $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Boot the bundled demo guest: it prints on the serial console and
# powers off, so the process exits 0.
run: all
	$(BUILD)/qkvm-system-x86_64 -nographic -no-reboot \
	    -kernel $(BUILD)/tests/guests/demo.elf -append "hello from make run"

# Benchmarks (not tests; see docs/devel/benchmarks.rst): qkvm vs raw KVM
# vs Debian's QEMU, side by side, several rounds; prints a table.
bench: all
	python3 tests/bench/run-bench.py $(BUILD)

clean:
	rm -rf $(BUILD)
